# ringest-dump: read, verify and print a data directory through the sinks reader.
add_executable(ringest-dump ${CMAKE_CURRENT_LIST_DIR}/dump.cc ${CMAKE_CURRENT_LIST_DIR}/dump_follow.cc
                           ${CMAKE_CURRENT_LIST_DIR}/dump_backup.cc)
target_include_directories(ringest-dump PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(ringest-dump PRIVATE ringest_sinks CLI11::CLI11 ringest_warnings)
