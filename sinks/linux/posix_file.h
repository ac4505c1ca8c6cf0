// Internal to sinks/linux/: the blocking FileIo backend, used when io_uring is
// not available.
#pragma once

#include <memory>

#include "sinks/file_layer.h"

namespace ringest::linux_io {

std::unique_ptr<FileIo> make_blocking_file_io();
// errno -> IoCompletion fields.
void set_error(IoCompletion& c, int err, const char* what);

}  // namespace ringest::linux_io
