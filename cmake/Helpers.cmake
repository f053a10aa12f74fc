# Warnings for our own code only (generated code is compiled without them).
function(inburgering_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wno-unused-parameter)
  if(INBURGERING_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# scripts/test-sanitized.sh builds with this; docs/SECURITY.md (Sanitizers) has the results.
if(INBURGERING_SANITIZE)
  add_compile_options(-fsanitize=${INBURGERING_SANITIZE} -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${INBURGERING_SANITIZE})
  if(INBURGERING_SANITIZE MATCHES "undefined")
    # A UBSan finding aborts the test instead of printing a line and carrying on.
    add_compile_options(-fno-sanitize-recover=undefined)
    add_link_options(-fno-sanitize-recover=undefined)
  endif()
endif()

# Embeds migrations/NNN_*.sql into the binary, so an image needs no extra files and a binary can
# never run against the migrations of another version.
#   inburgering_migrations(OUTPUT var DIR migrations NAMESPACE inburgering::intake)
# generates a .cc (its path in `var`, to add to a target) defining
# `const std::vector<inburgering::Migration>& Migrations()` in that namespace.
function(inburgering_migrations)
  cmake_parse_arguments(ARG "" "OUTPUT;DIR;NAMESPACE" "" ${ARGN})
  file(GLOB sql_files CONFIGURE_DEPENDS "${ARG_DIR}/*.sql")
  list(SORT sql_files)
  string(REPLACE "::" "_" stem "${ARG_NAMESPACE}")
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${stem}_migrations.cc")
  # With two or more files the list's ';' must reach the script intact, not split the command.
  string(REPLACE ";" "$<SEMICOLON>" files_arg "${sql_files}")
  add_custom_command(
    OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAMESPACE=${ARG_NAMESPACE} "-DFILES=${files_arg}"
            -P "${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake"
    DEPENDS ${sql_files} "${PROJECT_SOURCE_DIR}/cmake/EmbedMigrations.cmake"
    COMMENT "Embedding migrations ${ARG_NAMESPACE}"
    VERBATIM)
  set(${ARG_OUTPUT} "${out}" PARENT_SCOPE)
endfunction()

# One gtest binary per test file, registered with ctest. LABEL: unit or integration, plus
# concurrency for the tests that scripts/test-sanitized.sh thread runs under ThreadSanitizer.
function(inburgering_test name)
  cmake_parse_arguments(ARG "" "" "LABEL;SOURCES;LIBS" ${ARGN})
  # Integration tests include tests/support headers by their repo path.
  include_directories(${PROJECT_SOURCE_DIR})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
  inburgering_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_LABEL)
    set(ARG_LABEL unit)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABEL}" TIMEOUT 600)
endfunction()
