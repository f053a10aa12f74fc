// Makes Debian's uninstrumented absl::Mutex, CondVar, Notification, BlockingCounter and Barrier
// visible to ThreadSanitizer. scripts/test-sanitized.sh thread LD_PRELOADs this library (built only
// with -DINBURGERING_SANITIZE=thread) into the tests and the services they start.
//
// Without it TSan sees neither our own absl::MutexLock sections nor the locks gRPC takes (gpr_mu
// and grpc_core::Mutex are absl::Mutex on Debian), because Abseil's TSan annotations are compiled
// into libabsl_synchronization.so only when Abseil itself is built with TSan. Every access under
// an absl::Mutex would be reported as a race. Suppressing those reports would hide real races in
// our code; annotating the locks keeps the reports meaningful.
//
// Each function below has the name of an exported Abseil function, so that the dynamic linker
// binds every call (ours, gRPC's, Abseil's own) to it. It tells TSan what the real function does
// (lock, unlock, release, acquire) and calls the real one, found with dlsym(RTLD_NEXT).
//
// This file is compiled without -fsanitize: it runs in processes without TSan too (mariadbd,
// python3, sh inherit LD_PRELOAD from the tests); there the __tsan_* functions are null.

#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/barrier.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

extern "C" {
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
void __tsan_mutex_destroy(void* addr, unsigned flags) __attribute__((weak));
void __tsan_mutex_pre_lock(void* addr, unsigned flags) __attribute__((weak));
void __tsan_mutex_post_lock(void* addr, unsigned flags, int recursion) __attribute__((weak));
int __tsan_mutex_pre_unlock(void* addr, unsigned flags) __attribute__((weak));
void __tsan_mutex_post_unlock(void* addr, unsigned flags) __attribute__((weak));
}

namespace {

// Flags from <sanitizer/tsan_interface.h> (not installed by Debian's gcc packages).
constexpr unsigned kReadLock = 1 << 3;
constexpr unsigned kTryLock = 1 << 4;
constexpr unsigned kTryLockFailed = 1 << 5;

#define INBURGERING_STR2(x) #x
#define INBURGERING_STR(x) INBURGERING_STR2(x)
constexpr char kNamespace[] = INBURGERING_STR(ABSL_OPTION_INLINE_NAMESPACE_NAME);

// The real function `absl::<ns>::<member>`, `member` mangled without the namespace prefix
// ("K" before it for a const member function).
template <typename Fn>
Fn Real(const char* member, const char* cv = "") {
  char name[256];
  std::snprintf(name, sizeof name, "_ZN%s4absl%zu%s%s", cv, sizeof kNamespace - 1, kNamespace,
                member);
  void* fn = dlsym(RTLD_NEXT, name);
  if (fn == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(fn);
}
#define REAL(type, ...)                          \
  static const auto real = Real<type>(__VA_ARGS__); \
  (void)0

void PreLock(const void* m, unsigned flags) {
  if (__tsan_mutex_pre_lock) __tsan_mutex_pre_lock(const_cast<void*>(m), flags);
}
void PostLock(const void* m, unsigned flags) {
  if (__tsan_mutex_post_lock) __tsan_mutex_post_lock(const_cast<void*>(m), flags, 0);
}
void PreUnlock(const void* m, unsigned flags) {
  if (__tsan_mutex_pre_unlock) __tsan_mutex_pre_unlock(const_cast<void*>(m), flags);
}
void PostUnlock(const void* m, unsigned flags) {
  if (__tsan_mutex_post_unlock) __tsan_mutex_post_unlock(const_cast<void*>(m), flags);
}
void Release(const void* addr) {
  if (__tsan_release) __tsan_release(const_cast<void*>(addr));
}
void Acquire(const void* addr) {
  if (__tsan_acquire) __tsan_acquire(const_cast<void*>(addr));
}

// Await and CondVar::Wait release the mutex while they wait and hold it again when they return.
// The real call runs between PreLock and PostLock, where TSan ignores memory accesses: Abseil
// evaluates a Condition (our code) inside, possibly on the unlocking thread.
template <typename R, typename Call>
R Reacquire(const absl::Mutex* mu, unsigned flags, Call call) {
  PreUnlock(mu, flags);
  PostUnlock(mu, flags);
  PreLock(mu, flags);
  R r = call();
  PostLock(mu, flags);
  return r;
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  REAL(void (*)(Mutex*), "5MutexD2Ev");
  if (__tsan_mutex_destroy) __tsan_mutex_destroy(this, 0);
  real(this);
}

void Mutex::Lock() {
  REAL(void (*)(Mutex*), "5Mutex4LockEv");
  PreLock(this, 0);
  real(this);
  PostLock(this, 0);
}

void Mutex::ReaderLock() {
  REAL(void (*)(Mutex*), "5Mutex10ReaderLockEv");
  PreLock(this, kReadLock);
  real(this);
  PostLock(this, kReadLock);
}

bool Mutex::TryLock() {
  REAL(bool (*)(Mutex*), "5Mutex7TryLockEv");
  PreLock(this, kTryLock);
  bool locked = real(this);
  PostLock(this, kTryLock | (locked ? 0 : kTryLockFailed));
  return locked;
}

bool Mutex::ReaderTryLock() {
  REAL(bool (*)(Mutex*), "5Mutex13ReaderTryLockEv");
  PreLock(this, kReadLock | kTryLock);
  bool locked = real(this);
  PostLock(this, kReadLock | kTryLock | (locked ? 0 : kTryLockFailed));
  return locked;
}

void Mutex::Unlock() {
  REAL(void (*)(Mutex*), "5Mutex6UnlockEv");
  PreUnlock(this, 0);
  real(this);
  PostUnlock(this, 0);
}

void Mutex::ReaderUnlock() {
  REAL(void (*)(Mutex*), "5Mutex12ReaderUnlockEv");
  PreUnlock(this, kReadLock);
  real(this);
  PostUnlock(this, kReadLock);
}

void Mutex::LockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "5Mutex8LockWhenERKNS0_9ConditionE");
  PreLock(this, 0);
  real(this, cond);
  PostLock(this, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  PreLock(this, kReadLock);
  real(this, cond);
  PostLock(this, kReadLock);
}

bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  PreLock(this, 0);
  bool r = real(this, cond, timeout);
  PostLock(this, 0);
  return r;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  PreLock(this, 0);
  bool r = real(this, cond, deadline);
  PostLock(this, 0);
  return r;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  PreLock(this, kReadLock);
  bool r = real(this, cond, timeout);
  PostLock(this, kReadLock);
  return r;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  PreLock(this, kReadLock);
  bool r = real(this, cond, deadline);
  PostLock(this, kReadLock);
  return r;
}

void Mutex::Await(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "5Mutex5AwaitERKNS0_9ConditionE");
  Reacquire<int>(this, 0, [&] { return real(this, cond), 0; });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Reacquire<bool>(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Reacquire<bool>(this, 0, [&] { return real(this, cond, deadline); });
}

// A reader holding the mutex in CondVar::Wait is not supported by Abseil either.
void CondVar::Wait(Mutex* mu) {
  REAL(void (*)(CondVar*, Mutex*), "7CondVar4WaitEPNS0_5MutexE");
  Reacquire<int>(mu, 0, [&] { return real(this, mu), 0; });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  REAL(bool (*)(CondVar*, Mutex*, Duration),
       "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return Reacquire<bool>(mu, 0, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  REAL(bool (*)(CondVar*, Mutex*, Time), "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return Reacquire<bool>(mu, 0, [&] { return real(this, mu, deadline); });
}

void Notification::Notify() {
  REAL(void (*)(Notification*), "12Notification6NotifyEv");
  Release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  REAL(void (*)(const Notification*), "12Notification19WaitForNotificationEv", "K");
  real(this);
  Acquire(this);
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  REAL(bool (*)(const Notification*, Duration),
       "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE", "K");
  bool notified = real(this, timeout);
  if (notified) Acquire(this);
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  REAL(bool (*)(const Notification*, Time),
       "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE", "K");
  bool notified = real(this, deadline);
  if (notified) Acquire(this);
  return notified;
}

bool BlockingCounter::DecrementCount() {
  REAL(bool (*)(BlockingCounter*), "15BlockingCounter14DecrementCountEv");
  Release(this);
  return real(this);
}

void BlockingCounter::Wait() {
  REAL(void (*)(BlockingCounter*), "15BlockingCounter4WaitEv");
  real(this);
  Acquire(this);
}

bool Barrier::Block() {
  REAL(bool (*)(Barrier*), "7Barrier5BlockEv");
  Release(this);
  bool last = real(this);
  Acquire(this);
  return last;
}

ABSL_NAMESPACE_END
}  // namespace absl
