// The BSD socket declarations (sockaddr_storage, inet_pton, htons, ...), from
// the headers each platform keeps them in. The one place portable code
// names a platform.
#pragma once

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#include <iphlpapi.h>  // if_nametoindex
#else
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif
