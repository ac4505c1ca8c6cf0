// Winsock Registered I/O, declared from Microsoft's documented ABI (mswsock.h,
// Windows 8 / Server 2012 and later) for toolchains whose headers lack it:
// MinGW-w64 has none of it. With the Windows SDK (RIO_CORRUPT_CQ defined by
// mswsock.h) the SDK's own declarations are used and only the checks below
// apply. Every value here was checked against Microsoft's documentation;
// copies circulating elsewhere carry wrong GUIDs, ioctl codes and flags.
#pragma once

#include <winsock2.h>  // first: the other Winsock headers need it

#include <mswsock.h>
#include <ws2tcpip.h>

#include <cstddef>

#ifndef RIO_CORRUPT_CQ

typedef struct RIO_BUFFERID_t *RIO_BUFFERID, **PRIO_BUFFERID;
typedef struct RIO_CQ_t *RIO_CQ, **PRIO_CQ;
typedef struct RIO_RQ_t *RIO_RQ, **PRIO_RQ;

typedef struct _RIORESULT {
  LONG Status;
  ULONG BytesTransferred;
  ULONGLONG SocketContext;
  ULONGLONG RequestContext;
} RIORESULT, *PRIORESULT;

typedef struct _RIO_BUF {
  RIO_BUFFERID BufferId;
  ULONG Offset;
  ULONG Length;
} RIO_BUF, *PRIO_BUF;

#define RIO_MSG_DONT_NOTIFY 0x00000001
#define RIO_MSG_DEFER 0x00000002
#define RIO_MSG_WAITALL 0x00000004
#define RIO_MSG_COMMIT_ONLY 0x00000008

#define RIO_INVALID_BUFFERID ((RIO_BUFFERID)(ULONG_PTR)0xFFFFFFFF)
#define RIO_INVALID_CQ ((RIO_CQ)0)
#define RIO_INVALID_RQ ((RIO_RQ)0)

#define RIO_MAX_CQ_SIZE 0x8000000
#define RIO_CORRUPT_CQ 0xFFFFFFFF

typedef enum _RIO_NOTIFICATION_COMPLETION_TYPE {
  RIO_EVENT_COMPLETION = 1,
  RIO_IOCP_COMPLETION = 2,
} RIO_NOTIFICATION_COMPLETION_TYPE,
    *PRIO_NOTIFICATION_COMPLETION_TYPE;

typedef struct _RIO_NOTIFICATION_COMPLETION {
  RIO_NOTIFICATION_COMPLETION_TYPE Type;
  union {
    struct {
      HANDLE EventHandle;
      BOOL NotifyReset;
    } Event;
    struct {
      HANDLE IocpHandle;
      PVOID CompletionKey;
      PVOID Overlapped;
    } Iocp;
  };
} RIO_NOTIFICATION_COMPLETION, *PRIO_NOTIFICATION_COMPLETION;

typedef BOOL(PASCAL* LPFN_RIORECEIVE)(RIO_RQ SocketQueue, PRIO_BUF pData, ULONG DataBufferCount, DWORD Flags,
                                      PVOID RequestContext);
typedef int(PASCAL* LPFN_RIORECEIVEEX)(RIO_RQ SocketQueue, PRIO_BUF pData, ULONG DataBufferCount,
                                       PRIO_BUF pLocalAddress, PRIO_BUF pRemoteAddress,
                                       PRIO_BUF pControlContext, PRIO_BUF pFlags, DWORD Flags,
                                       PVOID RequestContext);
typedef BOOL(PASCAL* LPFN_RIOSEND)(RIO_RQ SocketQueue, PRIO_BUF pData, ULONG DataBufferCount, DWORD Flags,
                                   PVOID RequestContext);
typedef BOOL(PASCAL* LPFN_RIOSENDEX)(RIO_RQ SocketQueue, PRIO_BUF pData, ULONG DataBufferCount,
                                     PRIO_BUF pLocalAddress, PRIO_BUF pRemoteAddress,
                                     PRIO_BUF pControlContext, PRIO_BUF pFlags, DWORD Flags,
                                     PVOID RequestContext);
typedef VOID(PASCAL* LPFN_RIOCLOSECOMPLETIONQUEUE)(RIO_CQ CQ);
typedef RIO_CQ(PASCAL* LPFN_RIOCREATECOMPLETIONQUEUE)(DWORD QueueSize,
                                                      PRIO_NOTIFICATION_COMPLETION NotificationCompletion);
typedef RIO_RQ(PASCAL* LPFN_RIOCREATEREQUESTQUEUE)(SOCKET Socket, ULONG MaxOutstandingReceive,
                                                   ULONG MaxReceiveDataBuffers, ULONG MaxOutstandingSend,
                                                   ULONG MaxSendDataBuffers, RIO_CQ ReceiveCQ, RIO_CQ SendCQ,
                                                   PVOID SocketContext);
typedef ULONG(PASCAL* LPFN_RIODEQUEUECOMPLETION)(RIO_CQ CQ, PRIORESULT Array, ULONG ArraySize);
typedef VOID(PASCAL* LPFN_RIODEREGISTERBUFFER)(RIO_BUFFERID BufferId);
typedef INT(PASCAL* LPFN_RIONOTIFY)(RIO_CQ CQ);
typedef RIO_BUFFERID(PASCAL* LPFN_RIOREGISTERBUFFER)(PCHAR DataBuffer, DWORD DataLength);
typedef BOOL(PASCAL* LPFN_RIORESIZECOMPLETIONQUEUE)(RIO_CQ CQ, DWORD QueueSize);
typedef BOOL(PASCAL* LPFN_RIORESIZEREQUESTQUEUE)(RIO_RQ RQ, DWORD MaxOutstandingReceive,
                                                 DWORD MaxOutstandingSend);

// The 13 entry points in their documented order, after cbSize.
typedef struct _RIO_EXTENSION_FUNCTION_TABLE {
  DWORD cbSize;
  LPFN_RIORECEIVE RIOReceive;
  LPFN_RIORECEIVEEX RIOReceiveEx;
  LPFN_RIOSEND RIOSend;
  LPFN_RIOSENDEX RIOSendEx;
  LPFN_RIOCLOSECOMPLETIONQUEUE RIOCloseCompletionQueue;
  LPFN_RIOCREATECOMPLETIONQUEUE RIOCreateCompletionQueue;
  LPFN_RIOCREATEREQUESTQUEUE RIOCreateRequestQueue;
  LPFN_RIODEQUEUECOMPLETION RIODequeueCompletion;
  LPFN_RIODEREGISTERBUFFER RIODeregisterBuffer;
  LPFN_RIONOTIFY RIONotify;
  LPFN_RIOREGISTERBUFFER RIORegisterBuffer;
  LPFN_RIORESIZECOMPLETIONQUEUE RIOResizeCompletionQueue;
  LPFN_RIORESIZEREQUESTQUEUE RIOResizeRequestQueue;
} RIO_EXTENSION_FUNCTION_TABLE, *PRIO_EXTENSION_FUNCTION_TABLE;

// {8509E081-96DD-4005-B165-9E2EE8C79E3F}
#define WSAID_MULTIPLE_RIO                           \
  {                                                  \
    0x8509e081, 0x96dd, 0x4005, {                    \
      0xb1, 0x65, 0x9e, 0x2e, 0xe8, 0xc7, 0x9e, 0x3f \
    }                                                \
  }

#endif  // RIO_CORRUPT_CQ

#ifndef SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER
#define SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER _WSAIORW(IOC_WS2, 36)
#endif
#ifndef WSA_FLAG_REGISTERED_IO
#define WSA_FLAG_REGISTERED_IO 0x100
#endif

// The ABI, whoever declared it.
static_assert(SIO_GET_MULTIPLE_EXTENSION_FUNCTION_POINTER == 0xC8000024u);
static_assert(WSA_FLAG_REGISTERED_IO == 0x100);
static_assert(RIO_MSG_DONT_NOTIFY == 1 && RIO_MSG_DEFER == 2 && RIO_MSG_WAITALL == 4 &&
              RIO_MSG_COMMIT_ONLY == 8);
static_assert(RIO_CORRUPT_CQ == 0xFFFFFFFFu);
static_assert(RIO_IOCP_COMPLETION == 2 && RIO_EVENT_COMPLETION == 1);
static_assert(sizeof(RIORESULT) == 24);
static_assert(offsetof(RIORESULT, SocketContext) == 8 && offsetof(RIORESULT, RequestContext) == 16);
static_assert(sizeof(RIO_BUF) == sizeof(void*) + 8);
static_assert(offsetof(RIO_BUF, Offset) == sizeof(void*) && offsetof(RIO_BUF, Length) == sizeof(void*) + 4);
static_assert(sizeof(RIO_NOTIFICATION_COMPLETION) == 4 * sizeof(void*));
static_assert(offsetof(RIO_NOTIFICATION_COMPLETION, Iocp.IocpHandle) == sizeof(void*));
static_assert(sizeof(RIO_EXTENSION_FUNCTION_TABLE) == 14 * sizeof(void*));
static_assert(offsetof(RIO_EXTENSION_FUNCTION_TABLE, RIOReceive) == sizeof(void*));
static_assert(offsetof(RIO_EXTENSION_FUNCTION_TABLE, RIONotify) == 10 * sizeof(void*));
static_assert(offsetof(RIO_EXTENSION_FUNCTION_TABLE, RIOResizeRequestQueue) == 13 * sizeof(void*));
static_assert(sizeof(SOCKADDR_INET) == 28);
