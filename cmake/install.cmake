# install.cmake — `make install` (cmake --install): the program, the example
# configuration, the systemd units, the manual page and the documents,
# following Debian's layout. PREFIX comes from --prefix at install time (the
# Makefile passes PREFIX, default /usr/local); DESTDIR from the environment.
#   $PREFIX/bin/cristal
#   $SYSCONFDIR/cristal/cristal.toml        (default /etc; kept when present)
#   $PREFIX/share/doc/cristal/              README.md CONFIG.md ARCHITECTURE.md
#                                           examples/cristal.toml
#   $PREFIX/share/man/man1/cristal.1
#   $SYSTEMDUNITDIR                         (default $PREFIX/lib/systemd/system)
#       cristal.service, cristal-agent-run-due.service and .timer
# The units name the program and the configuration by their installed
# paths, filled in at install time (so --prefix at install time is honoured).
set(CR_SYSCONFDIR /etc CACHE PATH "Where cristal/cristal.toml is installed (the program reads /etc/cristal/cristal.toml)")
set(CR_SYSTEMDUNITDIR "" CACHE PATH "systemd unit directory (empty: PREFIX/lib/systemd/system)")

install(TARGETS cristal_cli RUNTIME DESTINATION bin)
install(FILES README.md docs/CONFIG.md docs/ARCHITECTURE.md DESTINATION share/doc/cristal)
install(FILES dist/cristal.toml DESTINATION share/doc/cristal/examples)
install(FILES dist/cristal.1 DESTINATION share/man/man1)

install(CODE "
  set(_etc \"${CR_SYSCONFDIR}/cristal\")
  if(EXISTS \"\$ENV{DESTDIR}\${_etc}/cristal.toml\")
    message(STATUS \"Kept: \$ENV{DESTDIR}\${_etc}/cristal.toml (the example is in share/doc/cristal/examples)\")
  else()
    file(INSTALL DESTINATION \"\${_etc}\" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES \"${CMAKE_SOURCE_DIR}/dist/cristal.toml\")
  endif()
  set(BINDIR \"\${CMAKE_INSTALL_PREFIX}/bin\")
  set(DOCDIR \"\${CMAKE_INSTALL_PREFIX}/share/doc/cristal\")
  set(SYSCONFDIR \"${CR_SYSCONFDIR}\")
  set(_units \"${CR_SYSTEMDUNITDIR}\")
  if(NOT _units)
    set(_units \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  endif()
  set(_tmp \"${CMAKE_BINARY_DIR}/dist-units\")
  file(MAKE_DIRECTORY \"\${_tmp}\")
  foreach(_u cristal.service cristal-agent-run-due.service)
    configure_file(\"${CMAKE_SOURCE_DIR}/dist/systemd/\${_u}.in\" \"\${_tmp}/\${_u}\" @ONLY)
  endforeach()
  file(INSTALL DESTINATION \"\${_units}\" TYPE FILE
       FILES \"\${_tmp}/cristal.service\" \"\${_tmp}/cristal-agent-run-due.service\"
             \"${CMAKE_SOURCE_DIR}/dist/systemd/cristal-agent-run-due.timer\")
")
