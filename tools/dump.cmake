# ringest-dump: read, verify and print a data directory through the sinks reader.
add_executable(ringest-dump ${CMAKE_CURRENT_LIST_DIR}/dump.cc ${CMAKE_CURRENT_LIST_DIR}/dump_follow.cc
                           ${CMAKE_CURRENT_LIST_DIR}/dump_backup.cc)
target_include_directories(ringest-dump PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(ringest-dump PRIVATE ringest_sinks CLI11::CLI11 ringest_warnings)
# stream: reads a JetStream stream an output wrote, where the NATS client is built.
if(TARGET PkgConfig::LIBNATS)
  target_sources(ringest-dump PRIVATE ${CMAKE_CURRENT_LIST_DIR}/dump_stream.cc)
  target_link_libraries(ringest-dump PRIVATE ringest_outputs PkgConfig::LIBNATS)
else()
  target_sources(ringest-dump PRIVATE ${CMAKE_CURRENT_LIST_DIR}/dump_stream_unavailable.cc)
endif()
