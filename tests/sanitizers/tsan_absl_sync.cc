// Makes Debian's uninstrumented absl::Mutex, CondVar, Notification, BlockingCounter and Barrier,
// absl::Status's reference count and call_once's wait visible to ThreadSanitizer.
// scripts/test-sanitized.sh thread LD_PRELOADs this library (built only with
// -DINBURGERING_SANITIZE=thread) into the tests and the services they start.
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
// ~Mutex is left alone: most mutexes that die on another thread than the one that last held them
// are gRPC's own (its TCP endpoints, its thread pool), destroyed after a reference count TSan
// cannot see drops to zero. Freeing our own objects stays checked: operator delete is a write to
// the whole block, which races with a lock or unlock still under way (the outbox finding).
//
// This file is compiled without -fsanitize: it runs in processes without TSan too (mariadbd,
// python3, sh inherit LD_PRELOAD from the tests); there the __tsan_* functions are null.

#include <dlfcn.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <type_traits>

#include "absl/base/internal/spinlock_wait.h"
#include "absl/status/status.h"
#include "absl/synchronization/barrier.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"

extern "C" {
void __tsan_acquire(void* addr) __attribute__((weak));
void __tsan_release(void* addr) __attribute__((weak));
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
#define REAL(type, ...)                             \
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

// Runs `call` and returns what it returns, `after` in between (also for a void `call`).
template <typename Call, typename After>
decltype(auto) Then(Call call, After after) {
  if constexpr (std::is_void_v<decltype(call())>) {
    call();
    after();
  } else {
    auto r = call();
    after();
    return r;
  }
}

// > 0 while this thread runs a real Abseil function from one below. Abseil calls its own exported
// functions through the PLT too (AwaitWithTimeout calls AwaitWithDeadline, Notification::Notify
// locks a Mutex): those nested calls are the outer call's business and go unannotated.
thread_local int in_abseil = 0;

// Runs `call` (a real Abseil function) between the annotations `before` and `after`.
template <typename Call, typename Before, typename After>
decltype(auto) Annotated(Call call, Before before, After after) {
  if (in_abseil > 0) return call();
  before();
  ++in_abseil;
  return Then(call, [&] {
    --in_abseil;
    after();
  });
}

// `call` takes the lock `mu` (shared with kReadLock in `flags`).
template <typename Call>
decltype(auto) Locking(const void* mu, unsigned flags, Call call) {
  return Annotated(
      call, [&] { PreLock(mu, flags); }, [&] { PostLock(mu, flags); });
}

// `call` releases the lock `mu`.
template <typename Call>
decltype(auto) Unlocking(const void* mu, unsigned flags, Call call) {
  return Annotated(
      call, [&] { PreUnlock(mu, flags); }, [&] { PostUnlock(mu, flags); });
}

// Await and CondVar::Wait release the mutex while they wait and hold it again when they return.
// The real call runs between PreLock and PostLock, where TSan ignores memory accesses: Abseil
// evaluates a Condition (our code) inside, possibly on the unlocking thread.
template <typename Call>
decltype(auto) Reacquiring(const absl::Mutex* mu, Call call) {
  auto before = [&] {
    PreUnlock(mu, 0);
    PostUnlock(mu, 0);
    PreLock(mu, 0);
  };
  return Annotated(call, before, [&] { PostLock(mu, 0); });
}

// `call` tries to take the lock `mu` and returns whether it did.
template <typename Call>
bool TryLocking(const void* mu, unsigned flags, Call call) {
  if (in_abseil > 0) return call();
  PreLock(mu, flags | kTryLock);
  ++in_abseil;
  bool locked = call();
  --in_abseil;
  PostLock(mu, flags | kTryLock | (locked ? 0 : kTryLockFailed));
  return locked;
}

// `call` publishes what this thread did before (Notify, DecrementCount, Block).
template <typename Call>
decltype(auto) Releasing(const void* addr, Call call) {
  return Annotated(
      call, [&] { Release(addr); }, [] {});
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  REAL(void (*)(Mutex*), "5Mutex4LockEv");
  Locking(this, 0, [&] { real(this); });
}

void Mutex::ReaderLock() {
  REAL(void (*)(Mutex*), "5Mutex10ReaderLockEv");
  Locking(this, kReadLock, [&] { real(this); });
}

bool Mutex::TryLock() {
  REAL(bool (*)(Mutex*), "5Mutex7TryLockEv");
  return TryLocking(this, 0, [&] { return real(this); });
}

bool Mutex::ReaderTryLock() {
  REAL(bool (*)(Mutex*), "5Mutex13ReaderTryLockEv");
  return TryLocking(this, kReadLock, [&] { return real(this); });
}

void Mutex::Unlock() {
  REAL(void (*)(Mutex*), "5Mutex6UnlockEv");
  Unlocking(this, 0, [&] { real(this); });
}

void Mutex::ReaderUnlock() {
  REAL(void (*)(Mutex*), "5Mutex12ReaderUnlockEv");
  Unlocking(this, kReadLock, [&] { real(this); });
}

void Mutex::LockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "5Mutex8LockWhenERKNS0_9ConditionE");
  Locking(this, 0, [&] { real(this, cond); });
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Locking(this, kReadLock, [&] { real(this, cond); });
}

// The ...WithTimeout and ...WithDeadline variants hold the lock when they return, true or false.
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Locking(this, 0, [&] { return real(this, cond, timeout); });
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Locking(this, 0, [&] { return real(this, cond, deadline); });
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Locking(this, kReadLock, [&] { return real(this, cond, timeout); });
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Locking(this, kReadLock, [&] { return real(this, cond, deadline); });
}

void Mutex::Await(const Condition& cond) {
  REAL(void (*)(Mutex*, const Condition&), "5Mutex5AwaitERKNS0_9ConditionE");
  Reacquiring(this, [&] { real(this, cond); });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  REAL(bool (*)(Mutex*, const Condition&, Duration),
       "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  return Reacquiring(this, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  REAL(bool (*)(Mutex*, const Condition&, Time),
       "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  return Reacquiring(this, [&] { return real(this, cond, deadline); });
}

// A reader holding the mutex in CondVar::Wait is not supported by Abseil either.
void CondVar::Wait(Mutex* mu) {
  REAL(void (*)(CondVar*, Mutex*), "7CondVar4WaitEPNS0_5MutexE");
  Reacquiring(mu, [&] { real(this, mu); });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  REAL(bool (*)(CondVar*, Mutex*, Duration),
       "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  return Reacquiring(mu, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  REAL(bool (*)(CondVar*, Mutex*, Time), "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  return Reacquiring(mu, [&] { return real(this, mu, deadline); });
}

// Notify, DecrementCount and Block publish what the thread did before; the waits see it.
void Notification::Notify() {
  REAL(void (*)(Notification*), "12Notification6NotifyEv");
  Releasing(this, [&] { real(this); });
}

void Notification::WaitForNotification() const {
  REAL(void (*)(const Notification*), "12Notification19WaitForNotificationEv", "K");
  Annotated([&] { real(this); }, [] {}, [&] { Acquire(this); });
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  REAL(bool (*)(const Notification*, Duration),
       "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE", "K");
  bool notified = Annotated([&] { return real(this, timeout); }, [] {}, [] {});
  if (notified) Acquire(this);
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  REAL(bool (*)(const Notification*, Time),
       "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE", "K");
  bool notified = Annotated([&] { return real(this, deadline); }, [] {}, [] {});
  if (notified) Acquire(this);
  return notified;
}

bool BlockingCounter::DecrementCount() {
  REAL(bool (*)(BlockingCounter*), "15BlockingCounter14DecrementCountEv");
  return Releasing(this, [&] { return real(this); });
}

void BlockingCounter::Wait() {
  REAL(void (*)(BlockingCounter*), "15BlockingCounter4WaitEv");
  Annotated([&] { real(this); }, [] {}, [&] { Acquire(this); });
}

bool Barrier::Block() {
  REAL(bool (*)(Barrier*), "7Barrier5BlockEv");
  return Annotated([&] { return real(this); }, [&] { Release(this); }, [&] { Acquire(this); });
}

// absl::Status keeps a message or payloads in a reference-counted StatusRep. Ref is inline (so
// instrumented where it is compiled: gRPC, our code), but the decrement and the delete of the last
// reference are in Debian's libabsl_status: TSan saw a copy's increment on one thread race with
// the delete on another (gRPC's subchannel status, in every test that connects a channel). This
// does what the real function does (an acq_rel decrement, the last reference deletes) and tells
// TSan: each Unref releases what its thread did, the last acquires all of it before the real
// function frees the rep (called with the count back at 1, so that it deletes at once).
void Status::UnrefNonInlined(uintptr_t rep) {
  REAL(void (*)(uintptr_t), "6Status15UnrefNonInlinedEm");
  std::atomic<int32_t>& count = RepToPointer(rep)->ref;
  Release(&count);
  if (count.load(std::memory_order_acquire) == 1 ||
      count.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    // No other reference is left, so nobody else touches the count.
    count.store(1, std::memory_order_relaxed);
    Acquire(&count);
    real(rep);
  }
}

namespace base_internal {

// absl::call_once (gpr_once in gRPC) is inline: the thread that runs the function publishes it with
// an instrumented release store of kOnceDone, and a thread that finds the word already done
// acquires it with an instrumented load. A thread that came while the function ran waits in
// SpinLockWait (libabsl_spinlock_wait, not instrumented) and returns from it having seen kOnceDone:
// TSan missed that acquire and reported the once-initialised value (gRPC's
// g_ipv6_loopback_available, probe_ipv6_once) as a race. Acquire the word after the wait. The
// Abseil spin locks that also wait here never release to TSan, so for them this adds nothing.
uint32_t SpinLockWait(std::atomic<uint32_t>* w, int n, const SpinLockWaitTransition trans[],
                      SchedulingMode scheduling_mode) {
  REAL(uint32_t(*)(std::atomic<uint32_t>*, int, const SpinLockWaitTransition*, SchedulingMode),
       "13base_internal12SpinLockWaitEPSt6atomicIjEiPKNS1_22SpinLockWaitTransition"
       "ENS1_14SchedulingModeE");
  uint32_t seen = real(w, n, trans, scheduling_mode);
  Acquire(w);
  return seen;
}

}  // namespace base_internal

ABSL_NAMESPACE_END
}  // namespace absl
