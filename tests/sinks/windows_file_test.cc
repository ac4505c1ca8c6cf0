// The Windows file layer: overlapped writes completed on a completion port,
// FlushFileBuffers ordered after the writes before it, preallocation.
#include <windows.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "sinks/batch_buffer.h"
#include "sinks/file_layer.h"
#include "test_util.h"

namespace ringest {
namespace {

std::vector<IoCompletion> reap_all(FileIo& io, size_t n) {
  std::vector<IoCompletion> got;
  IoCompletion buf[4];
  while (got.size() < n) {
    size_t k = io.reap(buf, true);
    REQUIRE(k > 0);
    got.insert(got.end(), buf, buf + k);
  }
  return got;
}

}  // namespace

TEST_CASE("windows file layer: several overlapped writes in flight land where they were aimed") {
  test::TempDir dir;
  auto io = FileIo::create(8);
  CHECK(std::string(io->backend()) == "overlapped");
  FileHandle f;
  REQUIRE(open_file(dir.path() / "a.seg", OpenMode::kCreateNew, f).ok());
  std::vector<std::vector<uint8_t>> chunks;
  for (int i = 0; i < 8; ++i) chunks.emplace_back(4096, static_cast<uint8_t>('a' + i));
  // Submitted back to front, so completion order can't hide a wrong offset.
  for (int i = 7; i >= 0; --i)
    REQUIRE(io->submit_write(f, uint64_t(i) * 4096, chunks[i].data(), 4096, i).ok());
  CHECK(io->outstanding() == 8);
  CHECK_FALSE(io->submit_write(f, 0, chunks[0].data(), 1, 99).ok());  // a ninth: refused, nothing started
  std::vector<IoCompletion> done = reap_all(*io, 8);
  std::vector<uint64_t> tags;
  for (const IoCompletion& c : done) {
    CHECK(c.status.ok());
    CHECK(c.op == IoOp::kWrite);
    tags.push_back(c.tag);
  }
  std::sort(tags.begin(), tags.end());
  CHECK(tags == std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(io->outstanding() == 0);
  REQUIRE(close_file(f).ok());
  std::vector<uint8_t> back;
  REQUIRE(read_file(dir.path() / "a.seg", back).ok());
  REQUIRE(back.size() == 8 * 4096);
  for (int i = 0; i < 8; ++i) CHECK(back[size_t(i) * 4096 + 17] == 'a' + i);
}

TEST_CASE("windows file layer: a datasync completes after the writes submitted before it") {
  test::TempDir dir;
  auto io = FileIo::create(8);
  FileHandle f;
  REQUIRE(open_file(dir.path() / "b.seg", OpenMode::kCreateNew, f).ok());
  std::vector<uint8_t> data(65536, 'x');
  REQUIRE(io->submit_write(f, 0, data.data(), data.size(), 1).ok());
  REQUIRE(io->submit_write(f, data.size(), data.data(), data.size(), 2).ok());
  REQUIRE(io->submit_datasync(f, 3).ok());
  std::vector<IoCompletion> done = reap_all(*io, 3);
  REQUIRE(done.size() == 3);
  CHECK(done.back().op == IoOp::kDatasync);
  CHECK(done.back().tag == 3);
  CHECK(done.back().status.ok());
  uint64_t size = 0;
  REQUIRE(file_size(f, size).ok());
  CHECK(size == 2 * data.size());
  REQUIRE(close_file(f).ok());
}

TEST_CASE("windows file layer: preallocation keeps the size; truncate and rename work on open segments") {
  test::TempDir dir;
  FileHandle f;
  REQUIRE(open_file(dir.path() / "c.seg", OpenMode::kCreateNew, f).ok());
  std::vector<uint8_t> head(100, 'h');
  REQUIRE(write_file_at(f, 0, head).ok());
  Status pre = preallocate_file(f, 100, 1 << 20);
  INFO(pre.message());
  REQUIRE(pre.ok());
  uint64_t size = 0;
  REQUIRE(file_size(f, size).ok());
  CHECK(size == 100);
  REQUIRE(truncate_file(f, 40).ok());
  REQUIRE(file_size(f, size).ok());
  CHECK(size == 40);
  REQUIRE(close_file(f).ok());
  REQUIRE(make_read_only(dir.path() / "c.seg").ok());
  // A sealed segment reopened for writing (recovery cuts it) becomes writable.
  REQUIRE(open_file(dir.path() / "c.seg", OpenMode::kReadWrite, f).ok());
  REQUIRE(close_file(f).ok());
  REQUIRE(rename_file(dir.path() / "c.seg", dir.path() / "d.seg").ok());
  REQUIRE(sync_directory(dir.path()).ok());
  std::vector<uint8_t> back;
  REQUIRE(read_file(dir.path() / "d.seg", back).ok());
  CHECK(back == std::vector<uint8_t>(40, 'h'));
  REQUIRE(remove_file(dir.path() / "d.seg").ok());
  CHECK_FALSE(read_file(dir.path() / "d.seg", back).ok());
}

TEST_CASE("windows file layer: creating an existing segment fails and says why") {
  test::TempDir dir;
  FileHandle f;
  REQUIRE(open_file(dir.path() / "e.seg", OpenMode::kCreateNew, f).ok());
  REQUIRE(close_file(f).ok());
  Status st = open_file(dir.path() / "e.seg", OpenMode::kCreateNew, f);
  CHECK_FALSE(st.ok());
  CHECK(st.message().find("create") != std::string::npos);
  CHECK_FALSE(is_no_space(st));
}

TEST_CASE("windows file layer: a tool syncs a file the daemon keeps open, and a sealed one is already durable") {
  test::TempDir dir;
  const auto path = dir.path() / "f.seg";
  FileHandle f;
  REQUIRE(open_file(path, OpenMode::kCreateNew, f).ok());
  REQUIRE(write_file_at(f, 0, std::vector<uint8_t>(64, 's')).ok());
  CHECK(datasync_path(path).ok());  // while the writer holds it open
  REQUIRE(close_file(f).ok());
  REQUIRE(make_read_only(path).ok());
  CHECK(datasync_path(path).ok());
  Status missing = datasync_path(dir.path() / "missing.seg");
  CHECK_FALSE(missing.ok());
  CHECK(missing.message().find("missing.seg") != std::string::npos);
  SetFileAttributesW(path.c_str(), FILE_ATTRIBUTE_NORMAL);  // so the directory can be removed
}


TEST_CASE("windows file layer: an unbuffered segment takes sector-aligned overlapped writes and reads back") {
  test::TempDir dir;
  auto io = FileIo::create(4);
  FileHandle f;
  const auto path = dir.path() / "d.seg";
  REQUIRE(open_file(path, OpenMode::kCreateNew, f, Caching::kDirect).ok());
  AlignedBytes block(2 * kDirectAlign);
  std::fill(block.data(), block.data() + block.size(), uint8_t{'d'});
  REQUIRE(io->submit_write(f, kDirectAlign, block.data(), block.size(), 1).ok());
  std::vector<IoCompletion> got = reap_all(*io, 1);
  REQUIRE(got[0].status.ok());
  // The partial tail block again, fuller: the first bytes kept, new ones after.
  std::fill(block.data() + kDirectAlign, block.data() + block.size(), uint8_t{'e'});
  REQUIRE(io->submit_write(f, kDirectAlign, block.data(), block.size(), 2).ok());
  REQUIRE(reap_all(*io, 1)[0].status.ok());
  REQUIRE(truncate_file(f, kDirectAlign + kDirectAlign + 100).ok());  // cut to the data at close
  REQUIRE(close_file(f).ok());
  std::vector<uint8_t> back;
  REQUIRE(read_file(path, back, 200, kDirectAlign * 2 - 100).ok());
  REQUIRE(back.size() == 200);
  CHECK(std::all_of(back.begin(), back.begin() + 100, [](uint8_t b) { return b == 'd'; }));
  CHECK(std::all_of(back.begin() + 100, back.end(), [](uint8_t b) { return b == 'e'; }));
  CHECK(test::read_bytes(path).size() == 2 * kDirectAlign + 100);
}

}  // namespace ringest
