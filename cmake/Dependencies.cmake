# The Debian 12 packages the build uses (see scripts/install-deps.sh).
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
# The gRPC built with TSan (scripts/build-grpc-tsan.sh) has no code generators: Debian's
# grpc_cpp_plugin, the same version, generates the code.
if(NOT TARGET gRPC::grpc_cpp_plugin)
  find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
  add_executable(gRPC::grpc_cpp_plugin IMPORTED)
  set_target_properties(gRPC::grpc_cpp_plugin PROPERTIES IMPORTED_LOCATION "${GRPC_CPP_PLUGIN}")
endif()
find_package(absl CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(benchmark CONFIG QUIET)
# Debian's liblemon-dev installs lemonConfig.cmake (lower case), which defines variables, no target.
find_package(LEMON CONFIG QUIET NAMES LEMON lemon)
if(LEMON_FOUND AND NOT TARGET lemon::lemon)
  add_library(lemon::lemon UNKNOWN IMPORTED)
  set_target_properties(lemon::lemon PROPERTIES
    IMPORTED_LOCATION "${LEMON_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${LEMON_INCLUDE_DIRS}")
endif()

# MySQL Connector/C++ 1.1 ships no CMake config.
find_path(MYSQLCPPCONN_INCLUDE_DIR NAMES mysql_driver.h cppconn/driver.h REQUIRED)
find_library(MYSQLCPPCONN_LIBRARY NAMES mysqlcppconn REQUIRED)
add_library(mysqlcppconn::mysqlcppconn UNKNOWN IMPORTED)
set_target_properties(mysqlcppconn::mysqlcppconn PROPERTIES
  IMPORTED_LOCATION "${MYSQLCPPCONN_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${MYSQLCPPCONN_INCLUDE_DIR}")

set(GRPC_PROTO_DIR /usr/share/grpc-proto)

# libnghttp2 (libnghttp2-dev): the HTTP/2 client of bench/loadgen --client h2.
find_package(PkgConfig REQUIRED)
pkg_check_modules(NGHTTP2 REQUIRED IMPORTED_TARGET libnghttp2)
