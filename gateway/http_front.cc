#include "gateway/http_front.h"

#include <grpcpp/impl/codegen/proto_utils.h>
#include <httplib.h>

#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/principal.h"
#include "common/status.h"
#include "gateway/dashboard.h"
#include "gateway/json_transcoding.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace inburgering::gateway {
namespace {

std::string JsonEscape(absl::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
        } else {
          out += c;
        }
    }
  }
  return out;
}

void SendError(httplib::Response& res, grpc::StatusCode code, absl::string_view message,
               int http_status = 0) {
  res.status = http_status != 0 ? http_status : HttpStatusFor(code);
  res.set_content(ErrorJson(code, message), "application/json");
}

bool HasControlCharacters(absl::string_view value) {
  for (char c : value) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

int HttpStatusFor(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::ALREADY_EXISTS:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

std::string ErrorJson(grpc::StatusCode code, absl::string_view message) {
  return absl::StrCat("{\"code\":\"", CodeName(code), "\",\"message\":\"", JsonEscape(message),
                      "\"}");
}

namespace {

// Headers on every answer: never sniffed as another type, never cached (answers carry personal
// data); on HTML also never framed, and no inline script, style or other origin.
void SetSecurityHeaders(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "no-store");
  res.set_header("Referrer-Policy", "no-referrer");
  if (absl::StartsWith(res.get_header_value("Content-Type"), "text/html")) {
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Content-Security-Policy",
                   "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                   "img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  }
}

}  // namespace

HttpFront::HttpFront(const Gateway& gateway, int threads)
    : gateway_(gateway), server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_post_routing_handler(
      [](const httplib::Request&, httplib::Response& res) { SetSecurityHeaders(res); });
  // cpp-httplib 0.11 leaves Nagle on and closes a keep-alive connection after 5 requests. An
  // answer is written as headers and body in separate sends, so with Nagle the body waits for
  // the client's delayed ACK (~40 ms on Linux) on every call; and a client reconnects every 5.
  server_->set_tcp_nodelay(true);
  server_->set_keep_alive_max_count(1000);
  // The library answers an oversized body with an empty 413 before any handler runs; the error
  // handler below gives it the JSON error body.
  server_->set_payload_max_length(static_cast<size_t>(gateway_.max_request_bytes()));
  server_->set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404:
        SendError(res, grpc::StatusCode::NOT_FOUND,
                  "no such path; RPCs are POST /<package>.<Service>/<Method>");
        break;
      case 413:
        SendError(res, grpc::StatusCode::RESOURCE_EXHAUSTED, "request body too large", 413);
        break;
      default:
        SendError(res, grpc::StatusCode::INVALID_ARGUMENT, "bad request", res.status);
    }
  });

  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (const std::string missing = NotReady(); missing.empty()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(absl::StrCat("not ready: ", missing, "\n"), "text/plain");
    }
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(gateway_.metrics().RenderPrometheus(), "text/plain; version=0.0.4");
  });
  server_->Get("/dashboard", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(DashboardHtml()), "text/html; charset=utf-8");
  });
  server_->Get("/dashboard.css", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(DashboardStyle()), "text/css; charset=utf-8");
  });
  server_->Get("/dashboard.js", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(DashboardScript()), "text/javascript; charset=utf-8");
  });

  server_->Post(R"(/([^/]+)/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
    const Route* route = gateway_.FindRoute(req.path);
    if (route == nullptr) {
      SendError(res, grpc::StatusCode::NOT_FOUND,
                absl::StrCat("unknown service or method ", req.path));
      gateway_.metrics().Record("unknown", "NOT_FOUND", "http", absl::ZeroDuration());
      return;
    }
    if (route->method->client_streaming() || route->method->server_streaming()) {
      SendError(res, grpc::StatusCode::UNIMPLEMENTED,
                absl::StrCat(route->name, " is a streaming RPC: use gRPC"));
      return;
    }
    for (const auto& [key, value] : req.headers) {
      if (HasControlCharacters(value)) {
        SendError(res, grpc::StatusCode::INVALID_ARGUMENT,
                  absl::StrCat("header ", key, ": control characters are not allowed"));
        return;
      }
    }
    const std::string content_type = absl::AsciiStrToLower(req.get_header_value("Content-Type"));
    if (content_type != "application/json" &&
        !absl::StartsWith(content_type, "application/json;")) {
      SendError(res, grpc::StatusCode::INVALID_ARGUMENT, "content-type: must be application/json",
                415);
      return;
    }
    if (static_cast<int64_t>(req.body.size()) > gateway_.max_request_bytes()) {
      SendError(res, grpc::StatusCode::RESOURCE_EXHAUSTED,
                absl::StrCat("body larger than ", gateway_.max_request_bytes(), " bytes"), 413);
      return;
    }
    Result result = CallJson(*route, req.get_header_value("Authorization"), req.body,
                             absl::StrCat("http:", req.remote_addr, ":", req.remote_port));
    if (!result.status.ok()) {
      if (result.retry_after > absl::ZeroDuration()) {
        res.set_header("Retry-After",
                       absl::StrCat((absl::ToInt64Milliseconds(result.retry_after) + 999) / 1000));
      }
      SendError(res, result.status.error_code(), result.status.error_message());
      return;
    }
    res.set_content(result.json, "application/json");
  });
}

HttpFront::~HttpFront() { Stop(); }

absl::Status HttpFront::Start(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port)) {
    return InvalidField("http_listen", "must be host:port");
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (port == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ <= 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
  } else {
    if (!server_->bind_to_port(host, port)) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", address));
    }
    port_ = port;
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // stop() is a no-op until the loop runs, so wait for it: Stop() right after Start() must work.
  while (!server_->is_running()) absl::SleepFor(absl::Milliseconds(1));
  return absl::OkStatus();
}

void HttpFront::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

HttpFront::Result HttpFront::CallJson(const Route& route, absl::string_view authorization,
                                      absl::string_view body, std::string origin) const {
  const absl::Time started = absl::Now();
  Result result;
  std::optional<Principal> principal;
  std::vector<std::string> object_ids;

  // The audit rows of this call, as the gRPC front writes them: a begin row, stored before a
  // write is forwarded and while a read's backend call runs, and an end row with the result; one
  // call_id. Nothing is released before both are stored.
  struct Row {
    absl::Notification stored;
    absl::Status status;
  };
  std::string call_id;
  Row begin;
  bool begin_sent = false;
  auto append = [&](AuditRecord::Phase phase, const std::string& result_code, Row& row) {
    AuditRecord record = gateway_.NewAuditRecord(route, principal ? &*principal : nullptr, origin);
    if (!call_id.empty()) record.call_id = call_id;
    call_id = record.call_id;
    record.phase = phase;
    record.object_ids = object_ids;
    record.result = result_code;
    gateway_.audit().Append(std::move(record), [&row](absl::Status s) {
      row.status = std::move(s);
      row.stored.Notify();
    });
  };
  auto stored = [](Row& row) {
    row.stored.WaitForNotification();
    return row.status;
  };
  auto finish = [&](grpc::Status status) {
    if (Gateway::Audited(route)) {
      // Fail closed: without stored audit rows nothing is released.
      Row end;
      append(AuditRecord::Phase::kEnd, CodeName(status.error_code()), end);
      absl::Status audit_status = begin_sent ? stored(begin) : absl::OkStatus();
      if (absl::Status s = stored(end); audit_status.ok()) audit_status = s;
      if (!audit_status.ok()) status = ToGrpcStatus(audit_status);
    }
    gateway_.metrics().Record(route.name, CodeName(status.error_code()), "http",
                              absl::Now() - started);
    result.status = status;
    if (!status.ok()) result.json.clear();
    return result;
  };

  if (absl::Status s =
          gateway_.Admit(route, nullptr, authorization, &principal, &result.retry_after);
      !s.ok()) {
    return finish(ToGrpcStatus(s));
  }

  std::unique_ptr<google::protobuf::Message> request = gateway_.NewRequest(route);
  if (absl::Status s = RequestFromJson(body, *request); !s.ok()) return finish(ToGrpcStatus(s));
  if (absl::Status s = gateway_.CheckRequest(route, *principal, *request); !s.ok()) {
    return finish(ToGrpcStatus(s));
  }
  if (Gateway::Audited(route)) {
    CollectObjectIds(*request, object_ids);
    append(AuditRecord::Phase::kBegin, "", begin);
    begin_sent = true;
    // A write is forwarded only once its begin row is stored: nothing is written unaudited.
    if (Gateway::AuditedBeforeForwarding(route) && !stored(begin).ok()) {
      return finish(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                 "audit log unavailable; the call is refused and nothing was "
                                 "forwarded"));
    }
  }

  grpc::ByteBuffer request_buffer, response_buffer;
  bool own_buffer = false;
  if (!grpc::SerializationTraits<google::protobuf::Message>::Serialize(*request, &request_buffer,
                                                                       &own_buffer)
           .ok()) {
    return finish(grpc::Status(grpc::StatusCode::INTERNAL, "cannot serialize the request"));
  }
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + gateway_.default_deadline()));
  AttachPrincipal(*principal, context);
  absl::Notification done;
  grpc::Status status;
  route.backend->stub->UnaryCall(&context, route.path, grpc::StubOptions(), &request_buffer,
                                 &response_buffer, [&](grpc::Status s) {
                                   status = std::move(s);
                                   done.Notify();
                                 });
  done.WaitForNotification();
  if (!status.ok()) return finish(status);

  std::unique_ptr<google::protobuf::Message> response = gateway_.NewResponse(route);
  if (!grpc::SerializationTraits<google::protobuf::Message>::Deserialize(&response_buffer,
                                                                         response.get())
           .ok()) {
    return finish(grpc::Status(grpc::StatusCode::INTERNAL, "backend sent an invalid response"));
  }
  if (Gateway::Audited(route)) CollectObjectIds(*response, object_ids);
  absl::StatusOr<std::string> json = ResponseToJson(*response);
  if (!json.ok()) return finish(ToGrpcStatus(json.status()));
  result.json = *std::move(json);
  return finish(grpc::Status::OK);
}

std::string HttpFront::NotReady() const {
  // The gateway fails closed on the audit log: without it no personal-data call is answered.
  if (!gateway_.audit().Check().ok()) return "the audit log cannot be written";
  for (const auto& backend : gateway_.backends()) {
    auto stub = grpc::health::v1::Health::NewStub(backend->channel);
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
    grpc::health::v1::HealthCheckRequest request;
    grpc::health::v1::HealthCheckResponse response;
    if (!stub->Check(&context, request, &response).ok() ||
        response.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
      return "a backend is not SERVING";
    }
  }
  return "";
}

}  // namespace inburgering::gateway
