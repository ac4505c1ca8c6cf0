// A file layer for tests that knows what a disk keeps across a power cut, and
// fails on request.
//
// The model: a file's contents are durable up to its last datasync; a name
// (create, rename, remove) is durable once its directory was synced. At the
// crash point (the Nth operation, seeded) the layer picks one state the disk
// could hold afterwards:
//   - each name whose durable and current state differ keeps one of the two
//     (an unsynced create, rename or delete is lost or not);
//   - each file keeps its durable bytes, and of what was written since, by the
//     crash's DataLoss: nothing, a prefix, a prefix then garbage, a prefix then
//     zeroes, or all of it.
// From then on every operation fails with EIO, as on a machine that lost power.
// restore() puts that state on disk once the log object is gone.
//
// Writes run at once on the real files (synchronously, completions wait for
// reap()); datasyncs only update the model, so a thousand crashes stay fast.
// One directory per DiskModel. Single-threaded.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "sinks/file_layer.h"

namespace ringest::test {

enum class DataLoss : uint8_t { kAll, kPrefix, kPrefixGarbage, kZeroes, kNone };
const char* to_string(DataLoss d);

class DiskModel {
 public:
  // Takes what `dir` holds now as durable.
  explicit DiskModel(std::filesystem::path dir);

  // Cut power at operation number `op` (1-based, counted across every layer
  // made over this model since the last restore()), losing data as `loss`
  // says, with choices drawn from `seed`. 0: never.
  void plan_crash(uint64_t op, DataLoss loss, uint64_t seed);
  // Cut power now (after a clean close, say).
  void crash_now(DataLoss loss, uint64_t seed);
  bool crashed() const { return crashed_; }
  uint64_t ops() const { return ops_; }
  // Writes the post-crash state to the directory (files not in it are removed)
  // and takes it as durable. Only once no log is open over this model.
  void restore();

  // Injected errors, for the fsync-failure and disk-full tests: datasync
  // number n (1-based) fails with EIO; writes fail with ENOSPC while no_space.
  std::set<uint64_t> fail_datasync;
  bool no_space = false;
  bool refuse_direct = false;
  bool refuse_direct_writes = false;
  uint64_t direct_writes = 0;  // aligned writes through direct handles
  uint64_t datasyncs = 0;

  const std::filesystem::path& dir() const { return dir_; }

 private:
  friend class CrashFileIo;
  struct Inode {
    std::vector<uint8_t> durable;
    std::filesystem::path path;  // current name; empty once removed
  };

  // Counts an operation; true if it must fail because power is (now) off.
  bool step();
  void crash();
  std::vector<uint8_t> surviving_bytes(const Inode& ino);
  uint64_t inode_of(const std::filesystem::path& p);

  std::filesystem::path dir_;
  std::map<uint64_t, Inode> inodes_;
  std::map<std::string, uint64_t> durable_names_;  // file name -> inode
  std::map<std::string, uint64_t> names_;          // as the directory is now
  std::map<intptr_t, uint64_t> open_;              // handle -> inode
  std::set<intptr_t> direct_;                      // handles opened for direct I/O
  uint64_t next_inode_ = 1;

  uint64_t ops_ = 0;
  uint64_t crash_at_ = 0;
  DataLoss loss_ = DataLoss::kAll;
  std::mt19937_64 rng_;
  bool crashed_ = false;
  std::map<std::string, std::vector<uint8_t>> image_;  // the post-crash directory
};

class CrashFileIo final : public FileIo {
 public:
  explicit CrashFileIo(DiskModel& m) : m_(m) {}

  const char* backend() const override { return "crash test double"; }
  Status submit_write(FileHandle f, uint64_t pos, const uint8_t* data, size_t len, uint64_t tag) override;
  Status submit_datasync(FileHandle f, uint64_t tag) override;
  size_t reap(std::span<IoCompletion> out, bool wait) override;
  uint32_t outstanding() const override { return static_cast<uint32_t>(done_.size()); }

  Status open(const std::filesystem::path& path, OpenMode mode, FileHandle& out) override;
  // Direct I/O as a device would take it: a write whose position, length or
  // buffer address is not a multiple of kDirectAlign fails with EINVAL. With
  // refuse_direct the open itself fails with EINVAL, as on a file system
  // without it; with refuse_direct_writes every direct write does.
  Status open_direct(const std::filesystem::path& path, OpenMode mode, FileHandle& out) override;
  Status truncate(FileHandle f, uint64_t size) override;
  Status write_at(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes) override;
  Status datasync(FileHandle f) override;
  Status preallocate(FileHandle f, uint64_t pos, uint64_t len) override;
  Status sync_dir(const std::filesystem::path& dir) override;
  Status remove(const std::filesystem::path& path) override;
  Status rename(const std::filesystem::path& from, const std::filesystem::path& to) override;

 private:
  Status open_as(const std::filesystem::path& path, OpenMode mode, FileHandle& out, Caching caching);
  Status write(FileHandle f, uint64_t pos, std::span<const uint8_t> bytes, bool& no_space);
  Status sync(FileHandle f);

  DiskModel& m_;
  std::vector<IoCompletion> done_;
};

}  // namespace ringest::test
