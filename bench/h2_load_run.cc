#include "bench/h2_load_run.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace inburgering::bench {
namespace {

// A late answer is the server's to give (it has the grpc-timeout); the client gives up only
// this much later, so that a server that never answers cannot hang the run.
constexpr auto kDeadlineGrace = std::chrono::seconds(1);

// The status for a response without grpc-status, from its HTTP status (gRPC's
// doc/http-grpc-status-mapping.md).
grpc::StatusCode FromHttpStatus(int http_status) {
  switch (http_status) {
    case 400:
      return grpc::StatusCode::INTERNAL;
    case 401:
      return grpc::StatusCode::UNAUTHENTICATED;
    case 403:
      return grpc::StatusCode::PERMISSION_DENIED;
    case 404:
      return grpc::StatusCode::UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return grpc::StatusCode::UNAVAILABLE;
    default:
      return grpc::StatusCode::UNKNOWN;
  }
}

int HexValue(char c) {
  return absl::ascii_isdigit(c) ? c - '0' : absl::ascii_tolower(c) - 'a' + 10;
}

// grpc-message is percent-encoded (gRPC's PROTOCOL-HTTP2.md).
std::string PercentDecode(absl::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%' && i + 2 < in.size() && absl::ascii_isxdigit(in[i + 1]) &&
        absl::ascii_isxdigit(in[i + 2])) {
      out.push_back(static_cast<char>(HexValue(in[i + 1]) * 16 + HexValue(in[i + 2])));
      i += 2;
    } else {
      out.push_back(in[i]);
    }
  }
  return out;
}

nghttp2_nv Header(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

}  // namespace

// One call slot: one stream in flight at a time.
struct H2LoadRun::Stream {
  Connection* connection = nullptr;
  bool in_flight = false;
  int32_t id = 0;
  std::string body;  // the gRPC message frame: 5-byte prefix and the serialized request
  size_t body_sent = 0;
  bool measured = false;
  Clock::time_point started;
  Clock::time_point give_up;
  bool expired = false;
  int http_status = 0;
  std::optional<int> grpc_status;
  std::string grpc_message;
  size_t data_bytes = 0;
};

struct H2LoadRun::Connection {
  H2LoadRun* run = nullptr;
  int fd = -1;
  nghttp2_session* session = nullptr;
  std::string out;  // produced by nghttp2, not yet written
  bool watching_writes = false;
  bool dead = false;
  std::vector<Stream> slots;
  std::vector<Stream*> to_start;  // slots whose stream closed inside a callback

  ~Connection() {
    if (session != nullptr) nghttp2_session_del(session);
    if (fd >= 0) close(fd);
  }
};

namespace {

H2LoadRun::Stream* StreamOf(nghttp2_session* session, int32_t id) {
  return static_cast<H2LoadRun::Stream*>(nghttp2_session_get_stream_user_data(session, id));
}

ssize_t ReadBody(nghttp2_session*, int32_t, uint8_t* buffer, size_t length, uint32_t* flags,
                 nghttp2_data_source* source, void*) {
  auto* stream = static_cast<H2LoadRun::Stream*>(source->ptr);
  const size_t n = std::min(length, stream->body.size() - stream->body_sent);
  std::memcpy(buffer, stream->body.data() + stream->body_sent, n);
  stream->body_sent += n;
  if (stream->body_sent == stream->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
  return static_cast<ssize_t>(n);
}

int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
             size_t name_length, const uint8_t* value, size_t value_length, uint8_t, void*) {
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  H2LoadRun::Stream* stream = StreamOf(session, frame->hd.stream_id);
  if (stream == nullptr) return 0;
  const absl::string_view key(reinterpret_cast<const char*>(name), name_length);
  const absl::string_view text(reinterpret_cast<const char*>(value), value_length);
  int number = 0;
  if (key == ":status" && absl::SimpleAtoi(text, &number)) {
    stream->http_status = number;
  } else if (key == "grpc-status" && absl::SimpleAtoi(text, &number)) {
    stream->grpc_status = number;
  } else if (key == "grpc-message") {
    stream->grpc_message = PercentDecode(text);
  }
  return 0;
}

int OnData(nghttp2_session* session, uint8_t, int32_t id, const uint8_t*, size_t length, void*) {
  if (H2LoadRun::Stream* stream = StreamOf(session, id)) stream->data_bytes += length;
  return 0;
}

// What a gRPC client would report for the call that `stream` carried.
grpc::Status StatusOf(const H2LoadRun::Stream& stream, uint32_t error_code) {
  if (stream.grpc_status) {
    const int code = *stream.grpc_status;
    if (code == 0 && stream.data_bytes < 5) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "OK without a response message");
    }
    return grpc::Status(static_cast<grpc::StatusCode>(code), stream.grpc_message);
  }
  if (stream.expired) {
    return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "no answer within the deadline");
  }
  if (stream.http_status != 0 && stream.http_status != 200) {
    return grpc::Status(FromHttpStatus(stream.http_status),
                        absl::StrCat("HTTP status ", stream.http_status));
  }
  if (error_code == NGHTTP2_REFUSED_STREAM) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, "stream refused");
  }
  if (error_code != NGHTTP2_NO_ERROR) {
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        absl::StrCat("stream reset: ", nghttp2_http2_strerror(error_code)));
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "stream ended without grpc-status");
}

}  // namespace

H2LoadRun::H2LoadRun(LoadOptions options, const RequestTemplate& requests, std::string target,
                     int connections)
    : options_(std::move(options)), requests_(requests), target_(std::move(target)) {
  for (int i = 0; i < connections; ++i) {
    auto connection = std::make_unique<Connection>();
    connection->run = this;
    connection->slots.resize(options_.inflight);
    for (Stream& slot : connection->slots) slot.connection = connection.get();
    connections_.push_back(std::move(connection));
  }
}

H2LoadRun::~H2LoadRun() {
  connections_.clear();
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

absl::Status H2LoadRun::Connect(Connection& connection, Clock::time_point deadline) {
  const size_t colon = target_.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError("target wants host:port");
  std::string host = target_.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  const std::string port = target_.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", target_));
  }
  absl::Cleanup free_found = [found] { freeaddrinfo(found); };
  int error = 0;
  do {
    connection.fd = socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connection.fd >= 0 && connect(connection.fd, found->ai_addr, found->ai_addrlen) == 0) break;
    error = errno;
    if (connection.fd >= 0) close(connection.fd);
    connection.fd = -1;
    if (error != ECONNREFUSED || Clock::now() >= deadline) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to ", target_, ": ", std::strerror(error)));
    }
    usleep(50 * 1000);  // the server may still be starting
  } while (true);
  const int one = 1;
  setsockopt(connection.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int flags = fcntl(connection.fd, F_GETFL);
  fcntl(connection.fd, F_SETFL, flags | O_NONBLOCK);

  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, OnData);
  nghttp2_session_callbacks_set_on_stream_close_callback(
      callbacks, +[](nghttp2_session* session, int32_t id, uint32_t error_code, void* user) {
        auto* c = static_cast<Connection*>(user);
        Stream* stream = StreamOf(session, id);
        if (stream == nullptr || c->dead) return 0;
        c->run->Complete(*stream, StatusOf(*stream, error_code));
        c->to_start.push_back(stream);
        return 0;
      });
  const int rv = nghttp2_session_client_new(&connection.session, callbacks, &connection);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) return absl::InternalError(nghttp2_strerror(rv));
  // Large windows: the responses are small, and WINDOW_UPDATE frames would be pure overhead.
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                             {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 24}};
  nghttp2_submit_settings(connection.session, NGHTTP2_FLAG_NONE, settings, 2);
  nghttp2_session_set_local_window_size(connection.session, NGHTTP2_FLAG_NONE, 0, 1 << 30);

  epoll_event event{};
  event.events = EPOLLIN;
  event.data.ptr = &connection;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection.fd, &event) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::StatusOr<RunReport> H2LoadRun::Run(Clock::time_point connect_deadline) {
  if (options_.rate > 0) {
    return absl::InvalidArgumentError("the h2 client runs closed loop only (no --rate)");
  }
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  for (auto& connection : connections_) {
    if (absl::Status s = Connect(*connection, connect_deadline); !s.ok()) return s;
  }
  // The same headers for every call (grpc-timeout too: each call has the full deadline).
  header_values_ = {
      {":method", "POST"},
      {":scheme", "http"},
      {":path", options_.method},
      {":authority", target_},
      {"content-type", "application/grpc"},
      {"te", "trailers"},
      {"grpc-timeout",
       absl::StrCat(
           std::chrono::duration_cast<std::chrono::milliseconds>(options_.deadline).count(), "m")},
      {"user-agent", "inburgering-loadgen-h2"}};
  header_values_.insert(header_values_.end(), options_.metadata.begin(), options_.metadata.end());
  for (const auto& [key, value] : header_values_) headers_.push_back(Header(key, value));

  const Clock::time_point start = Clock::now();
  plan_.Begin(start);
  active_slots_ = connections_.size() * static_cast<size_t>(options_.inflight);
  for (auto& connection : connections_) {
    for (Stream& slot : connection->slots) Start(slot);
    Pump(*connection);
  }

  std::vector<uint8_t> buffer(64 * 1024);
  epoll_event events[64];
  Clock::time_point next_expiry_check = start;
  while (active_slots_ > 0) {
    const int n = epoll_wait(epoll_fd_, events, 64, 100);
    if (n < 0 && errno != EINTR) return absl::InternalError(std::strerror(errno));
    for (int i = 0; i < n; ++i) {
      auto& connection = *static_cast<Connection*>(events[i].data.ptr);
      if (connection.dead) continue;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        while (!connection.dead) {
          const ssize_t got = recv(connection.fd, buffer.data(), buffer.size(), 0);
          if (got == 0) {
            Fail(connection, "the server closed the connection");
          } else if (got < 0) {
            if (errno != EAGAIN && errno != EINTR) Fail(connection, std::strerror(errno));
            break;
          } else if (const ssize_t used =
                         nghttp2_session_mem_recv(connection.session, buffer.data(), got);
                     used < 0) {
            Fail(connection, nghttp2_strerror(static_cast<int>(used)));
          } else if (static_cast<size_t>(got) < buffer.size()) {
            break;  // drained
          }
        }
      }
      Pump(connection);
    }
    const Clock::time_point now = Clock::now();
    if (now >= next_expiry_check) {
      ExpireOverdue(now);
      next_expiry_check = now + std::chrono::milliseconds(100);
    }
  }

  RunReport report = plan_.Report(static_cast<int>(connections_.size()), measured_);
  report.client = "h2";
  return report;
}

void H2LoadRun::Start(Stream& slot) {
  Connection& connection = *slot.connection;
  const Clock::time_point now = Clock::now();
  const std::optional<bool> measured = connection.dead ? std::nullopt : plan_.Admit(now);
  if (!measured) return Retire();
  slot.measured = *measured;
  slot.started = now;
  slot.give_up = now + options_.deadline + kDeadlineGrace;
  slot.expired = false;
  slot.http_status = 0;
  slot.grpc_status.reset();
  slot.grpc_message.clear();
  slot.data_bytes = 0;
  slot.body_sent = 0;
  absl::StatusOr<std::string> message = requests_.Serialize(options_.first_index + next_call_++);
  if (!message.ok()) {
    // As in LoadRun: counted, never dropped; the slot stops (its next request would fail too).
    Complete(slot, grpc::Status(grpc::StatusCode::INTERNAL,
                                absl::StrCat("loadgen could not build the request: ",
                                             message.status().message())));
    return Retire();
  }
  const auto size = static_cast<uint32_t>(message->size());
  slot.body.assign({0, static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                    static_cast<char>(size >> 8), static_cast<char>(size)});
  slot.body += *message;
  nghttp2_data_provider provider{};
  provider.source.ptr = &slot;
  provider.read_callback = ReadBody;
  slot.id = nghttp2_submit_request(connection.session, nullptr, headers_.data(), headers_.size(),
                                   &provider, &slot);
  if (slot.id < 0) {
    Complete(slot,
             grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          absl::StrCat("cannot start a stream: ", nghttp2_strerror(slot.id))));
    return Retire();
  }
  slot.in_flight = true;
}

void H2LoadRun::Complete(Stream& stream, const grpc::Status& status) {
  stream.in_flight = false;
  if (stream.measured) measured_.Record(status, stream.started, Clock::now());
}

void H2LoadRun::Pump(Connection& connection) {
  // Sending can close streams (a reset one), whose slots then start again: until nothing is left.
  do {
    if (connection.dead) return;
    std::vector<Stream*> to_start;
    to_start.swap(connection.to_start);
    for (Stream* slot : to_start) Start(*slot);
    if (!Flush(connection)) Fail(connection, "cannot send");
  } while (!connection.to_start.empty());
}

bool H2LoadRun::Flush(Connection& connection) {
  while (true) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(connection.session, &data);
    if (n < 0) return false;
    if (n == 0) break;
    connection.out.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  // Everything nghttp2 produced goes out in one write: one syscall for many frames.
  while (!connection.out.empty()) {
    const ssize_t sent =
        send(connection.fd, connection.out.data(), connection.out.size(), MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) return false;
      break;
    }
    connection.out.erase(0, static_cast<size_t>(sent));
  }
  const bool want_writes = !connection.out.empty();
  if (want_writes != connection.watching_writes) {
    epoll_event event{};
    event.events = EPOLLIN | (want_writes ? uint32_t{EPOLLOUT} : 0u);
    event.data.ptr = &connection;
    epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, connection.fd, &event);
    connection.watching_writes = want_writes;
  }
  return true;
}

void H2LoadRun::Fail(Connection& connection, const std::string& why) {
  if (connection.dead) return;
  connection.dead = true;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, connection.fd, nullptr);
  for (Stream& slot : connection.slots) {
    if (!slot.in_flight) continue;
    Complete(slot, grpc::Status(grpc::StatusCode::UNAVAILABLE, why));
    Retire();
  }
  // Slots whose stream had just closed were waiting to start their next call: they retire too.
  for (size_t i = 0; i < connection.to_start.size(); ++i) Retire();
  connection.to_start.clear();
}

void H2LoadRun::ExpireOverdue(Clock::time_point now) {
  for (auto& connection : connections_) {
    if (connection->dead) continue;
    bool reset = false;
    for (Stream& slot : connection->slots) {
      if (!slot.in_flight || slot.expired || now < slot.give_up) continue;
      slot.expired = true;
      nghttp2_submit_rst_stream(connection->session, NGHTTP2_FLAG_NONE, slot.id, NGHTTP2_CANCEL);
      reset = true;
    }
    if (reset) Pump(*connection);
  }
}

}  // namespace inburgering::bench
