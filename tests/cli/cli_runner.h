// Runs the real `inburgering` binary as a child process for the end-to-end tests, with stdout
// and stderr captured to files; the environment minus INBURGERING_TOKEN/TARGET.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"

extern char** environ;

namespace inburgering::cli {

struct CliRun {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// Runs the binary with `args`; stdout and stderr go to files in `dir`. The environment is the
// test's minus INBURGERING_TOKEN/TARGET, so a developer's settings cannot leak in.
inline CliRun RunCli(const std::filesystem::path& dir, std::vector<std::string> args) {
  args.insert(args.begin(), INBURGERING_CLI_BINARY);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (absl::StartsWith(*e, "INBURGERING_TOKEN=") || absl::StartsWith(*e, "INBURGERING_TARGET="))
      continue;
    env.push_back(*e);
  }
  env.push_back(nullptr);
  const std::string out_path = (dir / "stdout").string(), err_path = (dir / "stderr").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  pid_t pid = 0;
  CliRun run;
  if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), env.data()) != 0) return run;
  posix_spawn_file_actions_destroy(&actions);
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  run.out = ReadFile(out_path);
  run.err = ReadFile(err_path);
  // INBURGERING_CLI_TEST_SHOW=1 echoes what the binary printed, to look at the formats.
  if (std::getenv("INBURGERING_CLI_TEST_SHOW") != nullptr) {
    std::fprintf(stderr, "$ inburgering ...\n%s%s", run.out.c_str(), run.err.c_str());
  }
  return run;
}

inline int Lines(const std::string& text) {
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

}  // namespace inburgering::cli
