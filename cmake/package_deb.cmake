# The Debian package, made by CPack from the install rules (cmake/install.cmake):
#   cpack -G DEB --config build/release/CPackConfig.cmake     (or ./dev package)
# Maintainer scripts are in packaging/debian. Dependencies come from
# dpkg-shlibdeps on the installed binaries.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ringest)
set(CPACK_PACKAGE_VENDOR "ringest developers")
set(CPACK_PACKAGE_CONTACT "ringest developers <ringest@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "UDP telemetry ingestion daemon with a crash-safe segment log")
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "ringestd receives StatsD/DogStatsD, InfluxDB line protocol, Graphite and"
  "syslog datagrams with io_uring, parses them on worker threads and appends"
  "every record to a checksummed on-disk segment log, accounting for every"
  "datagram it receives, stores or drops. It forwards the log to NATS"
  "JetStream and serves Prometheus metrics. ringest-dump reads, verifies and"
  "backs up what was stored; ringest-loadgen and ringest-replay send test and"
  "captured traffic.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
file(WRITE ${CMAKE_BINARY_DIR}/packaging/conffiles "${RINGEST_CONFIG_DIR}/ringest.toml\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm ${CMAKE_BINARY_DIR}/packaging/conffiles)
include(CPack)
