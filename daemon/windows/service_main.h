// The service side of ringestd.exe when the service control manager started
// it: the status handle ServiceNotifier reports through.
#pragma once

#include <windows.h>

namespace ringest::windows {

// Null unless this process runs as a service and has registered its handler.
SERVICE_STATUS_HANDLE service_status_handle();

// What the service control handler does with `control`: STOP, SHUTDOWN and
// PRESHUTDOWN post a stop (and report STOP_PENDING), PARAMCHANGE a reload;
// returns the handler's answer to the manager.
DWORD handle_service_control(DWORD control);

// SetServiceStatus with the controls ringestd accepts while running.
void report_service_status(DWORD state, DWORD win32_exit_code, DWORD service_exit_code, DWORD wait_hint_ms);

}  // namespace ringest::windows
