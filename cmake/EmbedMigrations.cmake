# Script mode: writes a .cc holding each migration's version, name and SQL text.
set(body "")
foreach(f ${FILES})
  get_filename_component(name "${f}" NAME_WE)
  string(REGEX MATCH "^[0-9]+" version "${name}")
  # Without its leading zeros: C++ would read 008 as a (bad) octal literal.
  string(REGEX REPLACE "^0+([0-9])" "\\1" version "${version}")
  file(READ "${f}" sql)
  string(APPEND body "    {${version}, \"${name}\", R\"__sql__(${sql})__sql__\"},\n")
endforeach()
file(WRITE "${OUT}.tmp" "// Generated from migrations/*.sql; do not edit.\n#include \"common/migrations.h\"\n\nnamespace ${NAMESPACE} {\n\nconst std::vector<inburgering::Migration>& Migrations() {\n  static const auto* const kMigrations = new std::vector<inburgering::Migration>{\n${body}  };\n  return *kMigrations;\n}\n\n}  // namespace ${NAMESPACE}\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
