# Warnings every target in the project compiles with.
add_library(ringest_warnings INTERFACE)
if(MSVC)
  target_compile_options(ringest_warnings INTERFACE /W4 /permissive- /Zc:__cplusplus)
else()
  target_compile_options(ringest_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                         -Wno-missing-field-initializers)
endif()
