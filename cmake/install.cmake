# What `cmake --install` puts where. The Debian package (cmake/package_deb.cmake)
# is made from these rules with the prefix /usr: binaries in /usr/bin, the unit
# in /lib/systemd/system, the configuration in /etc/ringest, data in /var/lib/ringest.
include(GNUInstallDirs)

set(RINGEST_STATE_DIR /var/lib/ringest)  # the unit's StateDirectory=ringest
set(RINGEST_CONFIG_DIR ${CMAKE_INSTALL_FULL_SYSCONFDIR}/ringest)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(RINGEST_UNIT_DIR /lib/systemd/system)
else()
  set(RINGEST_UNIT_DIR ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()
set(staged ${CMAKE_BINARY_DIR}/packaging)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/configs/ringest.toml ${PROJECT_SOURCE_DIR}/configs/ringestd.service
             ${PROJECT_SOURCE_DIR}/packaging/debian/changelog.in)

# replace_checked(TEXT FROM TO): fails the configure step when FROM is absent,
# so a changed example file cannot silently install the wrong paths.
function(replace_checked var from to)
  string(FIND "${${var}}" "${from}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "install: '${from}' not found where the installed file is made from")
  endif()
  string(REPLACE "${from}" "${to}" out "${${var}}")
  set(${var} "${out}" PARENT_SCOPE)
endfunction()

# The example configuration, with the segment log in the state directory.
file(READ ${PROJECT_SOURCE_DIR}/configs/ringest.toml config)
replace_checked(config "dir = \"data\"" "dir = \"${RINGEST_STATE_DIR}\"")
file(WRITE ${staged}/ringest.toml "${config}")

# The unit names the installed binary and configuration.
file(READ ${PROJECT_SOURCE_DIR}/configs/ringestd.service unit)
replace_checked(unit "/usr/bin/ringestd" "${CMAKE_INSTALL_FULL_BINDIR}/ringestd")
replace_checked(unit "/etc/ringest/" "${RINGEST_CONFIG_DIR}/")
file(WRITE ${staged}/ringestd.service "${unit}")

configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/changelog.in ${staged}/changelog @ONLY)
execute_process(COMMAND gzip -9 -n -c ${staged}/changelog OUTPUT_FILE ${staged}/changelog.gz
                COMMAND_ERROR_IS_FATAL ANY)

install(TARGETS ringestd ringest-dump ringest-loadgen ringest-replay RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${staged}/ringestd.service DESTINATION ${RINGEST_UNIT_DIR})
install(FILES ${staged}/ringest.toml DESTINATION ${RINGEST_CONFIG_DIR})
install(DIRECTORY DESTINATION ${RINGEST_CONFIG_DIR}/conf.d)
install(FILES ${PROJECT_SOURCE_DIR}/configs/grafana-dashboard.json DESTINATION ${CMAKE_INSTALL_DATADIR}/ringest)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/packaging/debian/copyright ${staged}/changelog.gz
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)
