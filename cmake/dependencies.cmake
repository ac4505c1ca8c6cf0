# Every library comes from the system (Debian packages on Linux, vcpkg on Windows).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(prometheus-cpp REQUIRED COMPONENTS core)
find_package(doctest REQUIRED)
find_package(nlohmann_json 3 REQUIRED)

# moodycamel ConcurrentQueue is header-only; Debian and vcpkg place it differently
# (see common/concurrent_queue.h).
find_path(CONCURRENTQUEUE_DIR NAMES concurrentqueue/concurrentqueue.h moodycamel/concurrentqueue.h
          REQUIRED)
add_library(concurrentqueue INTERFACE)
target_include_directories(concurrentqueue SYSTEM INTERFACE ${CONCURRENTQUEUE_DIR})

if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET liburing>=2.3)
  # The JetStream output (nats.c); Debian's CMake package file names a static
  # library it does not ship, so pkg-config it is.
  pkg_check_modules(LIBNATS REQUIRED IMPORTED_TARGET libnats>=3.4)
endif()
pkg_check_modules(LIBZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(LIBLZ4 REQUIRED IMPORTED_TARGET liblz4)
