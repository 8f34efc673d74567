# SPDX-License-Identifier: Apache-2.0
#
# Included by samples/tls and samples/azure after project().
# The firmware embeds the CA (and, for mutual TLS, its own certificate and key) from
# ${CMAKE_BINARY_DIR}/certs. With CONFIG_APP_CERTS_DIR empty, a throw-away demo PKI is
# made there (scripts/gen-test-certs); otherwise the PEM files of that folder are used:
# ca.pem, client.pem, client.key. mbedTLS wants PEM NUL-terminated: *.nul adds it.
set(certs ${CMAKE_BINARY_DIR}/certs)
if("${CONFIG_APP_CERTS_DIR}" STREQUAL "")
  execute_process(
    COMMAND ${CMAKE_CURRENT_LIST_DIR}/../../scripts/gen-test-certs ${certs}
    RESULT_VARIABLE certs_result)
  if(NOT certs_result EQUAL 0)
    message(FATAL_ERROR "scripts/gen-test-certs failed (is openssl installed?)")
  endif()
else()
  file(MAKE_DIRECTORY ${certs})
  foreach(name ca.pem client.pem client.key)
    if(EXISTS ${CONFIG_APP_CERTS_DIR}/${name})
      execute_process(
        COMMAND sh -c "cat \"$0\" && printf '\\0'" ${CONFIG_APP_CERTS_DIR}/${name}
        OUTPUT_FILE ${certs}/${name}.nul)
    endif()
  endforeach()
endif()
