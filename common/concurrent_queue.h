// moodycamel ConcurrentQueue lives at <concurrentqueue/...> in Debian and at
// <moodycamel/...> in vcpkg. Everything includes this shim instead.
#pragma once

#if __has_include(<concurrentqueue/concurrentqueue.h>)
#include <concurrentqueue/blockingconcurrentqueue.h>
#include <concurrentqueue/concurrentqueue.h>
#else
#include <moodycamel/blockingconcurrentqueue.h>
#include <moodycamel/concurrentqueue.h>
#endif
