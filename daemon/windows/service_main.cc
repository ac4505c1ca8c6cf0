// ringestd.exe under the service control manager: detection, the dispatcher,
// ServiceMain and the control handler. STOP, SHUTDOWN and PRESHUTDOWN drain
// like SIGTERM; PARAMCHANGE reloads like SIGHUP.
#include <windows.h>
// tlhelp32.h needs windows.h first.
#include <tlhelp32.h>

#include <spdlog/sinks/win_eventlog_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cwchar>

#include "daemon/exit_codes.h"
#include "daemon/service_host.h"
#include "daemon/windows/control_mailbox.h"
#include "daemon/windows/service_main.h"

namespace ringest {
namespace {

std::atomic<SERVICE_STATUS_HANDLE> g_status{nullptr};
const std::function<int()>* g_daemon = nullptr;
int g_exit_code = 0;

DWORD WINAPI on_control(DWORD control, DWORD, void*, void*) { return windows::handle_service_control(control); }

}  // namespace

DWORD windows::handle_service_control(DWORD control) {
  switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
    case SERVICE_CONTROL_PRESHUTDOWN:
      report_service_status(SERVICE_STOP_PENDING, NO_ERROR, 0, 15'000);
      post_control_request(ControlRequest::kStop, control == SERVICE_CONTROL_STOP ? "service stop"
                                                            : control == SERVICE_CONTROL_SHUTDOWN
                                                                ? "system shutdown"
                                                                : "system pre-shutdown");
      return NO_ERROR;
    case SERVICE_CONTROL_PARAMCHANGE:
      post_control_request(ControlRequest::kReload, "service paramchange");
      return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE: return NO_ERROR;
    default: return ERROR_CALL_NOT_IMPLEMENTED;
  }
}

namespace {

void WINAPI service_main(DWORD argc, wchar_t** argv) {
  // An own-process service gets its installed name as argv[0].
  SERVICE_STATUS_HANDLE h = RegisterServiceCtrlHandlerExW(argc > 0 ? argv[0] : L"ringestd", &on_control, nullptr);
  if (!h) {
    spdlog::critical("RegisterServiceCtrlHandlerExW failed ({}): cannot run as a service", GetLastError());
    g_exit_code = exit_code::kSoftware;
    return;
  }
  g_status.store(h);
  // Start-up opens the log, which replays the active segment of every
  // partition: allow for a large one.
  windows::report_service_status(SERVICE_START_PENDING, NO_ERROR, 0, 120'000);
  g_exit_code = (*g_daemon)();
  // SERVICE_STOPPED is the last word: the manager may end the process after it.
  windows::report_service_status(SERVICE_STOPPED, g_exit_code == 0 ? NO_ERROR : ERROR_SERVICE_SPECIFIC_ERROR,
                                 static_cast<DWORD>(g_exit_code), 0);
}

// Whether the parent process is services.exe, the service control manager.
bool parent_is_services_exe() {
  HANDLE snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
  if (snap == INVALID_HANDLE_VALUE) return false;
  PROCESSENTRY32W e{};
  e.dwSize = sizeof e;
  DWORD self = GetCurrentProcessId(), parent = 0;
  for (BOOL more = Process32FirstW(snap, &e); more; more = Process32NextW(snap, &e))
    if (e.th32ProcessID == self) parent = e.th32ParentProcessID;
  bool found = false;
  e.dwSize = sizeof e;
  for (BOOL more = Process32FirstW(snap, &e); more && parent != 0; more = Process32NextW(snap, &e))
    if (e.th32ProcessID == parent) found = _wcsicmp(e.szExeFile, L"services.exe") == 0;
  CloseHandle(snap);
  return found;
}

}  // namespace

SERVICE_STATUS_HANDLE windows::service_status_handle() { return g_status.load(); }

void windows::report_service_status(DWORD state, DWORD win32_exit_code, DWORD service_exit_code, DWORD wait_hint_ms) {
  SERVICE_STATUS_HANDLE h = g_status.load();
  if (!h) return;
  // Once stopping, always stopping: a reload that ends during the drain must
  // not report RUNNING (and accept STOP) again.
  static std::atomic<bool> stopping{false};
  if (state == SERVICE_STOP_PENDING || state == SERVICE_STOPPED) stopping.store(true);
  if (state == SERVICE_RUNNING && stopping.load()) return;
  static std::atomic<DWORD> checkpoint{0};
  SERVICE_STATUS s{};
  s.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
  s.dwCurrentState = state;
  s.dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN |
                                                        SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_PARAMCHANGE
                                                  : 0;
  s.dwWin32ExitCode = win32_exit_code;
  s.dwServiceSpecificExitCode = service_exit_code;
  bool pending = state == SERVICE_START_PENDING || state == SERVICE_STOP_PENDING;
  s.dwCheckPoint = pending ? checkpoint.fetch_add(1) + 1 : 0;
  s.dwWaitHint = wait_hint_ms;
  SetServiceStatus(h, &s);
}

// A service is a child of services.exe; a console run never is.
bool started_by_service_manager() { return parent_is_services_exe(); }

int run_as_service(const std::function<int()>& daemon) {
  g_daemon = &daemon;
  wchar_t name[] = L"ringestd";  // ignored for an own-process service
  SERVICE_TABLE_ENTRYW table[] = {{name, &service_main}, {nullptr, nullptr}};
  if (!StartServiceCtrlDispatcherW(table)) return daemon();  // not the manager's after all: run in the console
  return g_exit_code;
}

std::shared_ptr<spdlog::sinks::sink> system_log_sink(const std::string& name) {
  return std::make_shared<spdlog::sinks::win_eventlog_sink_mt>(name);
}

}  // namespace ringest
