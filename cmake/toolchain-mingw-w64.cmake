# Cross-compiles ringest for 64-bit Windows with MinGW-w64 from Debian
# (g++-mingw-w64-x86-64-posix: the posix thread model, so std::thread and
# std::mutex work). Tests run under Wine through CMAKE_CROSSCOMPILING_EMULATOR.
#
#   cmake -S . -B build/windows -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchain-mingw-w64.cmake
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# Windows 8 / Server 2012 is the oldest Windows with Registered I/O.
add_compile_definitions(_WIN32_WINNT=0x0602 WIN32_LEAN_AND_MEAN NOMINMAX)
# A static runtime: the executables need no MinGW DLLs next to them.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

find_program(RINGEST_WINE NAMES wine64 wine PATHS /usr/lib/wine NO_CMAKE_FIND_ROOT_PATH)
if(RINGEST_WINE)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${RINGEST_WINE})
endif()
