#include "crash_file_io.h"

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "test_util.h"

namespace ringest::test {

namespace {

Status power_off(const char* what) {
  return Status::from_errno(EIO, std::string(what) + " (power cut)");
}

}  // namespace

const char* to_string(DataLoss d) {
  switch (d) {
    case DataLoss::kAll: return "all unsynced data lost";
    case DataLoss::kPrefix: return "a prefix kept";
    case DataLoss::kPrefixGarbage: return "a prefix then garbage";
    case DataLoss::kZeroes: return "a prefix then zeroes";
    case DataLoss::kNone: return "nothing lost";
  }
  return "?";
}

DiskModel::DiskModel(std::filesystem::path dir) : dir_(std::move(dir)) {
  restore();
}

void DiskModel::plan_crash(uint64_t op, DataLoss loss, uint64_t seed) {
  crash_at_ = op;
  loss_ = loss;
  rng_.seed(seed);
}

void DiskModel::crash_now(DataLoss loss, uint64_t seed) {
  loss_ = loss;
  rng_.seed(seed);
  if (!crashed_) crash();
}

bool DiskModel::step() {
  if (crashed_) return true;
  ++ops_;
  if (crash_at_ != 0 && ops_ == crash_at_) crash();
  return crashed_;
}

uint64_t DiskModel::inode_of(const std::filesystem::path& p) {
  auto it = names_.find(p.filename().string());
  return it == names_.end() ? 0 : it->second;
}

std::vector<uint8_t> DiskModel::surviving_bytes(const Inode& ino) {
  const std::vector<uint8_t>& d = ino.durable;
  std::vector<uint8_t> now = ino.path.empty() ? d : read_bytes(ino.path);
  bool extends = now.size() >= d.size() && std::equal(d.begin(), d.end(), now.begin());
  if (!extends) return rng_() % 2 ? d : now;  // rewritten since the sync: either version
  uint64_t k = d.size() + rng_() % (now.size() - d.size() + 1);
  std::vector<uint8_t> out(now.begin(), now.begin() + static_cast<std::ptrdiff_t>(k));
  switch (loss_) {
    case DataLoss::kAll: return d;
    case DataLoss::kNone: return now;
    case DataLoss::kPrefix: return out;
    case DataLoss::kZeroes: out.resize(now.size(), 0); return out;
    case DataLoss::kPrefixGarbage: {
      uint64_t n = 1 + rng_() % std::max<uint64_t>(16, now.size() - k);
      for (uint64_t i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(rng_()));
      return out;
    }
  }
  return d;
}

void DiskModel::crash() {
  crashed_ = true;
  image_.clear();
  std::set<std::string> all;
  for (auto& [n, i] : names_) all.insert(n);
  for (auto& [n, i] : durable_names_) all.insert(n);
  for (const std::string& name : all) {
    auto d = durable_names_.find(name);
    auto c = names_.find(name);
    uint64_t dino = d == durable_names_.end() ? 0 : d->second;
    uint64_t cino = c == names_.end() ? 0 : c->second;
    // An unsynced create, rename or delete of this name survives or not.
    uint64_t ino = dino == cino ? dino : (rng_() % 2 ? dino : cino);
    if (ino != 0) image_[name] = surviving_bytes(inodes_[ino]);
  }
}

void DiskModel::restore() {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (crashed_) {
    for (const auto& e : std::filesystem::directory_iterator(dir_)) std::filesystem::remove(e.path());
    for (const auto& [name, bytes] : image_) write_bytes(dir_ / name, bytes);
  }
  inodes_.clear();
  names_.clear();
  open_.clear();
  for (const auto& e : std::filesystem::directory_iterator(dir_)) {
    if (!e.is_regular_file()) continue;
    uint64_t ino = next_inode_++;
    inodes_[ino] = Inode{read_bytes(e.path()), e.path()};
    names_[e.path().filename().string()] = ino;
  }
  durable_names_ = names_;
  crashed_ = false;
  crash_at_ = 0;
  ops_ = 0;
  image_.clear();
}

// ---- CrashFileIo -------------------------------------------------------------

Status CrashFileIo::write(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes, bool& no_space) {
  no_space = false;
  if (m_.step()) return power_off("write segment");
  if (m_.no_space) {
    no_space = true;
    return Status::from_errno(ENOSPC, "write segment (injected)");
  }
  if (m_.direct_.count(f.native)) {
    auto misaligned = [](uint64_t v) { return v % kDirectAlign != 0; };
    if (m_.refuse_direct_writes) return Status::from_errno(EINVAL, "write with O_DIRECT (refused)");
    if (misaligned(pos) || misaligned(bytes.size()) || misaligned(reinterpret_cast<uintptr_t>(bytes.data())))
      return Status::from_errno(EINVAL, "misaligned direct write at " + std::to_string(pos));
    ++m_.direct_writes;
  }
  return write_file_at(f, pos, bytes);
}

Status CrashFileIo::sync(FileHandle f) {
  if (m_.step()) return power_off("fdatasync segment");
  ++m_.datasyncs;
  if (m_.fail_datasync.count(m_.datasyncs)) return Status::from_errno(EIO, "fdatasync segment (injected)");
  auto it = m_.open_.find(f.native);
  if (it != m_.open_.end()) {
    DiskModel::Inode& ino = m_.inodes_[it->second];
    if (!ino.path.empty()) ino.durable = read_bytes(ino.path);
  }
  return Status();
}

Status CrashFileIo::submit_write(FileHandle f, uint64_t pos, const uint8_t* data, size_t len, uint64_t tag) {
  IoCompletion c;
  c.tag = tag;
  c.op = IoOp::kWrite;
  c.status = write(f, pos, {data, len}, c.no_space);
  done_.push_back(std::move(c));
  return Status();
}

Status CrashFileIo::submit_datasync(FileHandle f, uint64_t tag) {
  IoCompletion c;
  c.tag = tag;
  c.op = IoOp::kDatasync;
  c.status = sync(f);
  done_.push_back(std::move(c));
  return Status();
}

size_t CrashFileIo::reap(std::span<IoCompletion> out, bool /*wait*/) {
  size_t n = std::min(out.size(), done_.size());
  for (size_t i = 0; i < n; ++i) out[i] = std::move(done_[i]);
  done_.erase(done_.begin(), done_.begin() + static_cast<std::ptrdiff_t>(n));
  return n;
}

Status CrashFileIo::open(const std::filesystem::path& path, OpenMode mode, FileHandle& out) {
  return open_as(path, mode, out, Caching::kPageCache);
}

Status CrashFileIo::open_direct(const std::filesystem::path& path, OpenMode mode, FileHandle& out) {
  if (m_.refuse_direct) return Status::from_errno(EINVAL, "open " + path.string() + " with O_DIRECT (refused)");
  return open_as(path, mode, out, Caching::kDirect);
}

Status CrashFileIo::open_as(const std::filesystem::path& path, OpenMode mode, FileHandle& out, Caching caching) {
  if (mode != OpenMode::kReadWrite && m_.step()) return power_off("create");
  if (m_.crashed()) return power_off("open");
  if (Status st = open_file(path, mode, out, caching); !st.ok()) return st;
  if (caching == Caching::kDirect) {
    m_.direct_.insert(out.native);
  } else {
    m_.direct_.erase(out.native);
  }
  uint64_t ino = m_.inode_of(path);
  if (ino == 0 || mode == OpenMode::kCreateNew) {
    ino = m_.next_inode_++;
    m_.inodes_[ino] = DiskModel::Inode{{}, path};
    m_.names_[path.filename().string()] = ino;
  }
  m_.open_[out.native] = ino;
  return Status();
}

Status CrashFileIo::truncate(FileHandle f, uint64_t size) {
  if (m_.step()) return power_off("truncate segment");
  return truncate_file(f, size);
}

Status CrashFileIo::write_at(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes) {
  bool no_space = false;
  return write(f, pos, bytes, no_space);
}

Status CrashFileIo::datasync(FileHandle f) {
  return sync(f);
}

Status CrashFileIo::preallocate(FileHandle /*f*/, uint64_t /*pos*/, uint64_t /*len*/) {
  // KEEP_SIZE: no byte a reader sees changes.
  return m_.crashed() ? power_off("fallocate segment") : Status();
}

Status CrashFileIo::sync_dir(const std::filesystem::path& dir) {
  if (m_.step()) return power_off("fsync directory");
  m_.durable_names_ = m_.names_;
  (void)dir;
  return Status();
}

Status CrashFileIo::remove(const std::filesystem::path& path) {
  if (m_.step()) return power_off("remove");
  if (Status st = remove_file(path); !st.ok()) return st;
  if (uint64_t ino = m_.inode_of(path)) m_.inodes_[ino].path.clear();
  m_.names_.erase(path.filename().string());
  return Status();
}

Status CrashFileIo::rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (m_.step()) return power_off("rename");
  if (Status st = rename_file(from, to); !st.ok()) return st;
  uint64_t ino = m_.inode_of(from);
  if (uint64_t old = m_.inode_of(to)) m_.inodes_[old].path.clear();
  m_.names_.erase(from.filename().string());
  if (ino != 0) {
    m_.names_[to.filename().string()] = ino;
    m_.inodes_[ino].path = to;
  }
  return Status();
}

}  // namespace ringest::test
