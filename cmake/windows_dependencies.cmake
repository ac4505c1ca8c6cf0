# Dependencies of the MinGW-w64 cross build (see toolchain-mingw-w64.cmake).
# Header-only libraries come from Debian's /usr/include, but only through
# links to their own directories: the rest of /usr/include is glibc's and must
# never reach the MinGW compiler.
find_package(Threads REQUIRED)

set(RINGEST_HOST_HEADERS ${CMAKE_BINARY_DIR}/host-headers)
foreach(dir concurrentqueue doctest CLI toml++ spdlog fmt nlohmann)
  if(NOT EXISTS /usr/include/${dir})
    message(FATAL_ERROR "/usr/include/${dir} is missing: install the Debian package that ships it (./dev deps)")
  endif()
  file(MAKE_DIRECTORY ${RINGEST_HOST_HEADERS})
  if(NOT EXISTS ${RINGEST_HOST_HEADERS}/${dir})
    file(CREATE_LINK /usr/include/${dir} ${RINGEST_HOST_HEADERS}/${dir} SYMBOLIC)
  endif()
endforeach()

# ringest_header_only(TARGET [DEFINITIONS...])
function(ringest_header_only target)
  add_library(${target} INTERFACE IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${RINGEST_HOST_HEADERS}
                                             INTERFACE_SYSTEM_INCLUDE_DIRECTORIES ${RINGEST_HOST_HEADERS})
  if(ARGN)
    set_target_properties(${target} PROPERTIES INTERFACE_COMPILE_DEFINITIONS "${ARGN}")
  endif()
endfunction()

ringest_header_only(concurrentqueue)
ringest_header_only(doctest::doctest)
ringest_header_only(CLI11::CLI11)
ringest_header_only(tomlplusplus::tomlplusplus)
ringest_header_only(nlohmann_json::nlohmann_json)
# fmt and spdlog in header-only mode (Debian's spdlog uses the external fmt).
ringest_header_only(fmt::fmt FMT_HEADER_ONLY)
ringest_header_only(spdlog::spdlog FMT_HEADER_ONLY SPDLOG_HEADER_ONLY)

# doctest's CMake helpers (tests/CMakeLists.txt includes them).
list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/doctest)

# zstd and lz4, compiled from Debian's own source packages, the versions the
# Linux build links (cmake/windows_cross.sh fetches them; a new Debian version
# is a new directory).
set(RINGEST_ZSTD_SOURCE "" CACHE PATH "Debian libzstd source tree (apt-get source)")
set(RINGEST_LZ4_SOURCE "" CACHE PATH "Debian lz4 source tree (apt-get source)")
set(RINGEST_PROMETHEUS_SOURCE "" CACHE PATH "Debian prometheus-cpp source tree (apt-get source)")
foreach(required "${RINGEST_ZSTD_SOURCE}/lib/zstd.h" "${RINGEST_LZ4_SOURCE}/lib/lz4.h"
        "${RINGEST_PROMETHEUS_SOURCE}/core/include/prometheus/text_serializer.h")
  if(NOT EXISTS "${required}")
    message(FATAL_ERROR "${required} is missing: cmake/windows_cross.sh fetches the Debian source packages "
                        "and passes RINGEST_{ZSTD,LZ4,PROMETHEUS}_SOURCE")
  endif()
endforeach()
enable_language(C)
block()
  file(GLOB zstd_sources ${RINGEST_ZSTD_SOURCE}/lib/common/*.c ${RINGEST_ZSTD_SOURCE}/lib/compress/*.c
       ${RINGEST_ZSTD_SOURCE}/lib/decompress/*.c)
  add_library(ringest_zstd STATIC ${zstd_sources})
  target_compile_definitions(ringest_zstd PRIVATE ZSTD_DISABLE_ASM)
  target_include_directories(ringest_zstd SYSTEM PUBLIC ${RINGEST_ZSTD_SOURCE}/lib)
  target_compile_options(ringest_zstd PRIVATE -w)
  add_library(PkgConfig::LIBZSTD ALIAS ringest_zstd)

  add_library(ringest_lz4 STATIC ${RINGEST_LZ4_SOURCE}/lib/lz4.c ${RINGEST_LZ4_SOURCE}/lib/lz4hc.c
              ${RINGEST_LZ4_SOURCE}/lib/lz4frame.c ${RINGEST_LZ4_SOURCE}/lib/xxhash.c)
  target_include_directories(ringest_lz4 SYSTEM PUBLIC ${RINGEST_LZ4_SOURCE}/lib)
  target_compile_options(ringest_lz4 PRIVATE -w)
  add_library(PkgConfig::LIBLZ4 ALIAS ringest_lz4)
endblock()

# prometheus-cpp's core (the text exposition format), compiled from Debian's
# source package the same way.
block()
  file(GLOB prometheus_sources ${RINGEST_PROMETHEUS_SOURCE}/core/src/*.cc
       ${RINGEST_PROMETHEUS_SOURCE}/core/src/detail/*.cc)
  add_library(ringest_prometheus_core STATIC ${prometheus_sources})
  # The header CMake's generate_export_header writes in prometheus-cpp's own
  # build: a static library exports nothing.
  set(prometheus_generated ${CMAKE_BINARY_DIR}/prometheus-generated)
  file(CONFIGURE OUTPUT ${prometheus_generated}/prometheus/detail/core_export.h
       CONTENT "#pragma once\n#define PROMETHEUS_CPP_CORE_EXPORT\n#define PROMETHEUS_CPP_CORE_NO_EXPORT\n")
  target_include_directories(ringest_prometheus_core SYSTEM PUBLIC ${RINGEST_PROMETHEUS_SOURCE}/core/include
                             ${prometheus_generated})
  target_include_directories(ringest_prometheus_core PRIVATE ${RINGEST_PROMETHEUS_SOURCE}/core/src)
  target_compile_options(ringest_prometheus_core PRIVATE -w)
  add_library(prometheus-cpp::core ALIAS ringest_prometheus_core)
endblock()
