// The engine's one waiting primitive (platform/wakeup.hpp): a wait returns true once for
// any number of signals given before it, a signal from another thread ends a sleep at
// once, whichever way it sleeps, drain() forgets what came before, and a wait that also
// watches a descriptor ends when that one is ready.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "platform/wakeup.hpp"

#ifndef _WIN32
#include <unistd.h>
#endif

using filelock::platform::kInvalidFile;
using filelock::platform::Wakeup;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

bool wait_for(Wakeup &w, Clock::duration d) { return w.wait_until(false, Clock::now() + d); }

TEST(WakeupWait, SignalsGivenBeforeTheWaitEndItOnce) {
  Wakeup w;
  ASSERT_EQ(w.error().err, 0);
  w.signal();
  w.signal();
  w.signal();
  const auto start = Clock::now();
  EXPECT_TRUE(wait_for(w, 5s));
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_FALSE(wait_for(w, 30ms)) << "three signals woke two waits";
}

TEST(WakeupWait, ASignalFromAnotherThreadEndsTheSleepAtOnce) {
  Wakeup w;
  for (int round = 0; round < 20; ++round) {
    Clock::time_point signalled;
    std::thread t([&] {
      std::this_thread::sleep_for(5ms);
      signalled = Clock::now();
      w.signal();
    });
    const bool woke = wait_for(w, 10s);
    const auto late = Clock::now() - signalled;
    t.join();
    ASSERT_TRUE(woke) << "round " << round;
    EXPECT_LT(late, 500ms) << "round " << round;
  }
  EXPECT_FALSE(wait_for(w, 20ms)) << "a signal woke two waits";
}

TEST(WakeupWait, TheDeadlineEndsAnUnsignalledWait) {
  Wakeup w;
  const auto start = Clock::now();
  EXPECT_FALSE(wait_for(w, 50ms));
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 50ms);
  EXPECT_LT(took, 1s);
}

TEST(WakeupWait, DrainForgetsEarlierSignals) {
  Wakeup w;
  w.signal();
  w.drain();
  EXPECT_FALSE(wait_for(w, 30ms));
  w.signal();
  EXPECT_TRUE(wait_for(w, 5s)) << "a signal after the drain was lost";
}

// On Linux wait_until sleeps on the signal word and wait_until_either polls the event:
// a signal one of them took is not seen again by the other (an event write it left
// behind is drained, not taken for a new signal), and each is woken across threads.
TEST(WakeupWait, ASignalTakenByOneKindOfSleepDoesNotEndTheOther) {
  Wakeup w;
  auto on_word = [&](Clock::duration d) { return wait_for(w, d); };
  auto on_event = [&](Clock::duration d) {
    return w.wait_until_either(kInvalidFile, false, Clock::now() + d);
  };
  for (int first = 0; first < 2; ++first) {
    std::thread t([&] {
      std::this_thread::sleep_for(5ms);
      w.signal();
    });
    EXPECT_TRUE(first == 0 ? on_word(10s) : on_event(10s));
    t.join();
    EXPECT_FALSE(on_event(30ms)) << "round " << first;
    EXPECT_FALSE(on_word(30ms)) << "round " << first;
  }
}

#ifndef _WIN32
TEST(WakeupWait, AWaitOnEitherEndsWhenTheOtherDescriptorIsReady) {
  Wakeup w;
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  EXPECT_FALSE(w.wait_until_either(p[0], false, Clock::now() + 30ms));
  std::thread t([&] {
    std::this_thread::sleep_for(5ms);
    ASSERT_EQ(::write(p[1], "x", 1), 1);
  });
  EXPECT_TRUE(w.wait_until_either(p[0], false, Clock::now() + 10s));
  t.join();
  w.signal();
  EXPECT_TRUE(w.wait_until_either(kInvalidFile, false, Clock::now() + 5s));
  ::close(p[0]);
  ::close(p[1]);
}
#endif

}  // namespace
