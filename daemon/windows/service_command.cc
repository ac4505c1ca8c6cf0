// `ringestd service install | uninstall | start | stop | reload | status` on Windows,
// through the service control manager. install records the daemon's options
// in the service's command line, so the manager starts it exactly as
// configured; start and stop wait until the service got there.
//
// Exit codes: 0 done (status: running); 1 the manager refused or the service
// failed (its own exit code is printed); 3 status: installed, not running;
// 4 not installed; 64 usage.
#include <windows.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "daemon/exit_codes.h"
#include "daemon/service_host.h"

namespace ringest {

struct ServiceCommand::Options {
  std::string action;
  std::string name = "ringestd";
  std::string config;
  std::string log_file;
  std::string log_level;
  std::string log_format;
  std::string account;
  bool demand_start = false;
  bool no_restart = false;
  int timeout_s = 120;
};

namespace {

constexpr int kFailed = 1;
constexpr int kNotRunning = 3;
constexpr int kNotInstalled = 4;

// A command-line argument as Windows passed it to main(): in the ANSI code page.
std::wstring wide(const std::string& s) {
  if (s.empty()) return {};
  int n = MultiByteToWideChar(CP_ACP, 0, s.data(), int(s.size()), nullptr, 0);
  std::wstring w(size_t(n), L'\0');
  MultiByteToWideChar(CP_ACP, 0, s.data(), int(s.size()), w.data(), n);
  return w;
}

std::string error_text(DWORD code) {
  char* buf = nullptr;
  FormatMessageA(FORMAT_MESSAGE_ALLOCATE_BUFFER | FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                 code, 0, reinterpret_cast<char*>(&buf), 0, nullptr);
  std::string text = buf ? buf : "";
  LocalFree(buf);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == '.')) text.pop_back();
  return text + " (" + std::to_string(code) + ")";
}

int fail(const std::string& what, DWORD code = GetLastError()) {
  std::fprintf(stderr, "ringestd service: %s: %s\n", what.c_str(), error_text(code).c_str());
  return kFailed;
}

// Closes a service manager handle on scope exit.
struct Handle {
  SC_HANDLE h;
  ~Handle() {
    if (h) CloseServiceHandle(h);
  }
  explicit operator bool() const { return h != nullptr; }
};

// A command-line argument quoted the way CommandLineToArgvW splits it back.
std::wstring quoted(const std::wstring& arg) {
  std::wstring out = L"\"";
  size_t backslashes = 0;
  for (wchar_t c : arg) {
    if (c == L'\\') {
      ++backslashes;
      continue;
    }
    out.append(c == L'"' ? backslashes * 2 + 1 : backslashes, L'\\');
    backslashes = 0;
    out.push_back(c);
  }
  out.append(backslashes * 2, L'\\');
  return out + L"\"";
}

std::wstring own_path() {
  std::wstring path(MAX_PATH, L'\0');
  for (;;) {
    DWORD n = GetModuleFileNameW(nullptr, path.data(), DWORD(path.size()));
    if (n < path.size()) return path.substr(0, n);
    path.resize(path.size() * 2);
  }
}

bool query(SC_HANDLE svc, SERVICE_STATUS_PROCESS& st) {
  DWORD needed = 0;
  return QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, reinterpret_cast<BYTE*>(&st), sizeof st, &needed) != 0;
}

// Polls until the service leaves `pending`; false (GetLastError() says why)
// when the manager cannot be asked or the time is up.
bool wait_while(SC_HANDLE svc, DWORD pending, int timeout_s, SERVICE_STATUS_PROCESS& st) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    if (!query(svc, st)) return false;
    if (st.dwCurrentState != pending) return true;
    if (std::chrono::steady_clock::now() > deadline) {
      SetLastError(ERROR_TIMEOUT);
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// The service's exit, as the manager recorded it.
std::string exit_text(const SERVICE_STATUS_PROCESS& st) {
  if (st.dwWin32ExitCode == ERROR_SERVICE_SPECIFIC_ERROR)
    return "exit code " + std::to_string(st.dwServiceSpecificExitCode);
  return st.dwWin32ExitCode == NO_ERROR ? "exit code 0" : error_text(st.dwWin32ExitCode);
}

// Restart after a failure, as systemd's Restart=on-failure does: after a
// crash and, with the flag, after a non-zero exit code too.
void restart_on_failure(SC_HANDLE svc) {
  SC_ACTION restart[] = {{SC_ACTION_RESTART, 5'000}, {SC_ACTION_RESTART, 5'000}, {SC_ACTION_RESTART, 30'000}};
  SERVICE_FAILURE_ACTIONSW actions{};
  actions.dwResetPeriod = 24 * 3600;
  actions.cActions = 3;
  actions.lpsaActions = restart;
  SERVICE_FAILURE_ACTIONS_FLAG on_exit_code{TRUE};
  if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &actions)) {
    std::fprintf(stderr, "ringestd service: warning: no restart on failure: %s\n",
                 error_text(GetLastError()).c_str());
  } else if (!ChangeServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &on_exit_code)) {
    std::fprintf(stderr, "ringestd service: warning: restart after a crash only, not after an exit code: %s\n",
                 error_text(GetLastError()).c_str());
  }
}

int install(SC_HANDLE scm, const ServiceCommand::Options& o) {
  std::error_code ec;
  std::filesystem::path config = std::filesystem::absolute(o.config, ec);
  std::filesystem::path log_file =
      o.log_file.empty() ? config.parent_path() / (o.name + ".log") : std::filesystem::absolute(o.log_file, ec);
  std::wstring cmd = quoted(own_path()) + L" --config " + quoted(config.wstring()) + L" --log-file " +
                     quoted(log_file.wstring());
  if (!o.log_level.empty()) cmd += L" --log-level " + quoted(wide(o.log_level));
  if (!o.log_format.empty()) cmd += L" --log-format " + quoted(wide(o.log_format));
  std::wstring name = wide(o.name), account = wide(o.account);
  Handle svc{CreateServiceW(scm, name.c_str(), name.c_str(), SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                            o.demand_start ? SERVICE_DEMAND_START : SERVICE_AUTO_START, SERVICE_ERROR_NORMAL,
                            cmd.c_str(), nullptr, nullptr, nullptr, account.empty() ? nullptr : account.c_str(),
                            nullptr)};
  if (!svc) return fail("install " + o.name);
  wchar_t description[] = L"ringest: UDP telemetry ingestion into a checksummed segment log";
  SERVICE_DESCRIPTIONW desc{description};
  ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_DESCRIPTION, &desc);
  // Time to drain when the machine shuts down.
  SERVICE_PRESHUTDOWN_INFO pre{15'000};
  if (!ChangeServiceConfig2W(svc.h, SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre))
    std::fprintf(stderr, "ringestd service: warning: no pre-shutdown time: %s\n", error_text(GetLastError()).c_str());
  if (!o.no_restart) restart_on_failure(svc.h);
  std::printf("installed %s: %ls\n", o.name.c_str(), cmd.c_str());
  return exit_code::kOk;
}

int start(SC_HANDLE svc, const ServiceCommand::Options& o) {
  if (!StartServiceW(svc, 0, nullptr)) return fail("start " + o.name);
  SERVICE_STATUS_PROCESS st{};
  if (!wait_while(svc, SERVICE_START_PENDING, o.timeout_s, st)) return fail("start " + o.name);
  if (st.dwCurrentState != SERVICE_RUNNING) {
    std::fprintf(stderr, "ringestd service: %s did not start: %s (see its log file)\n", o.name.c_str(),
                 exit_text(st).c_str());
    return kFailed;
  }
  std::printf("%s running (pid %lu)\n", o.name.c_str(), st.dwProcessId);
  return exit_code::kOk;
}

int stop(SC_HANDLE svc, const ServiceCommand::Options& o) {
  SERVICE_STATUS_PROCESS st{};
  if (query(svc, st) && st.dwCurrentState == SERVICE_STOPPED) {
    std::printf("%s already stopped\n", o.name.c_str());
    return exit_code::kOk;
  }
  SERVICE_STATUS plain{};
  if (!ControlService(svc, SERVICE_CONTROL_STOP, &plain)) return fail("stop " + o.name);
  if (!wait_while(svc, SERVICE_STOP_PENDING, o.timeout_s, st)) return fail("stop " + o.name);
  if (st.dwCurrentState != SERVICE_STOPPED) {
    std::fprintf(stderr, "ringestd service: %s did not stop (state %lu)\n", o.name.c_str(), st.dwCurrentState);
    return kFailed;
  }
  bool clean = st.dwWin32ExitCode == NO_ERROR;
  std::printf("%s stopped (%s)\n", o.name.c_str(), exit_text(st).c_str());
  return clean ? exit_code::kOk : kFailed;
}

// PARAMCHANGE: the running service re-reads its configuration, as SIGHUP
// makes it on Linux.
int reload(SC_HANDLE svc, const ServiceCommand::Options& o) {
  SERVICE_STATUS plain{};
  if (!ControlService(svc, SERVICE_CONTROL_PARAMCHANGE, &plain)) return fail("reload " + o.name);
  std::printf("%s asked to reload its configuration (the log says how it went)\n", o.name.c_str());
  return exit_code::kOk;
}

int status(SC_HANDLE svc, const ServiceCommand::Options& o) {
  SERVICE_STATUS_PROCESS st{};
  if (!query(svc, st)) return fail("status " + o.name);
  switch (st.dwCurrentState) {
    case SERVICE_RUNNING: std::printf("%s running (pid %lu)\n", o.name.c_str(), st.dwProcessId); return 0;
    case SERVICE_STOPPED: std::printf("%s stopped (%s)\n", o.name.c_str(), exit_text(st).c_str()); return kNotRunning;
    case SERVICE_START_PENDING: std::printf("%s starting\n", o.name.c_str()); return kNotRunning;
    case SERVICE_STOP_PENDING: std::printf("%s stopping (draining)\n", o.name.c_str()); return kNotRunning;
    default: std::printf("%s in state %lu\n", o.name.c_str(), st.dwCurrentState); return kNotRunning;
  }
}

int uninstall(SC_HANDLE svc, const ServiceCommand::Options& o) {
  SERVICE_STATUS_PROCESS st{};
  if (query(svc, st) && st.dwCurrentState != SERVICE_STOPPED) {
    if (int rc = stop(svc, o); rc != exit_code::kOk) return rc;
  }
  if (!DeleteService(svc)) return fail("uninstall " + o.name);
  std::printf("uninstalled %s\n", o.name.c_str());
  return exit_code::kOk;
}

}  // namespace

ServiceCommand::ServiceCommand(CLI::App& app) : options_(std::make_unique<Options>()) {
  Options& o = *options_;
  cmd_ = app.add_subcommand("service", "Manage the Windows service: install | uninstall | start | stop | reload | status");
  cmd_->add_option("action", o.action, "What to do")
      ->required()
      ->check(CLI::IsMember({"install", "uninstall", "start", "stop", "reload", "status"}));
  cmd_->add_option("--name", o.name, "Service name")->capture_default_str();
  cmd_->add_option("-c,--config", o.config, "install: the configuration file the service runs with")
      ->check(CLI::ExistingFile);
  cmd_->add_option("--log-file", o.log_file, "install: the service's log file (default: NAME.log beside the config)");
  cmd_->add_option("--log-level", o.log_level, "install: log level, overriding [log] level");
  cmd_->add_option("--log-format", o.log_format, "install: text | json | logfmt")
      ->check(CLI::IsMember({"text", "json", "logfmt"}));
  cmd_->add_option("--account", o.account,
                   "install: run as this account, e.g. \"NT AUTHORITY\\LocalService\" (default: LocalSystem)");
  cmd_->add_flag("--demand-start", o.demand_start, "install: start only when asked, not at boot");
  cmd_->add_flag("--no-restart", o.no_restart,
                 "install: do not restart the service when it fails (default: after 5 s, 5 s, then every 30 s)");
  cmd_->add_option("--timeout", o.timeout_s, "start/stop: seconds to wait")->capture_default_str();
}

ServiceCommand::~ServiceCommand() = default;

bool ServiceCommand::selected() const { return cmd_ && cmd_->parsed(); }

int ServiceCommand::run() const {
  const Options& o = *options_;
  if (o.action == "install" && o.config.empty()) {
    std::fprintf(stderr, "ringestd service install: --config FILE is required\n");
    return exit_code::kUsage;
  }
  Handle scm{OpenSCManagerW(nullptr, nullptr, o.action == "install" ? SC_MANAGER_CREATE_SERVICE : SC_MANAGER_CONNECT)};
  if (!scm) return fail("open the service control manager");
  if (o.action == "install") return install(scm.h, o);
  std::wstring name = wide(o.name);
  DWORD access = SERVICE_QUERY_STATUS;
  if (o.action == "start") access |= SERVICE_START;
  if (o.action == "stop") access |= SERVICE_STOP;
  if (o.action == "uninstall") access |= SERVICE_STOP | DELETE;
  if (o.action == "reload") access |= SERVICE_PAUSE_CONTINUE;
  Handle svc{OpenServiceW(scm.h, name.c_str(), access)};
  if (!svc) {
    if (GetLastError() != ERROR_SERVICE_DOES_NOT_EXIST) return fail("open " + o.name);
    std::printf("%s is not installed\n", o.name.c_str());
    return o.action == "uninstall" ? exit_code::kOk : kNotInstalled;
  }
  if (o.action == "start") return start(svc.h, o);
  if (o.action == "stop") return stop(svc.h, o);
  if (o.action == "status") return status(svc.h, o);
  if (o.action == "reload") return reload(svc.h, o);
  return uninstall(svc.h, o);
}

}  // namespace ringest
