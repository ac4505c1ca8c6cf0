# Warnings every target in the project compiles with.
add_library(ringest_warnings INTERFACE)
target_compile_options(ringest_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
                       -Wno-missing-field-initializers)
