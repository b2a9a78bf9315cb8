#pragma once
// EMBER_API marks the public, exported symbols. Everything else is hidden (-fvisibility=hidden),
// which keeps the ABI small and lets ember and torch live in one process without clashes.
#if defined(_WIN32)
#  if defined(EMBER_SHARED) && defined(EMBER_BUILDING_LIBRARY)
#    define EMBER_API __declspec(dllexport)
#  elif defined(EMBER_SHARED)
#    define EMBER_API __declspec(dllimport)
#  else
#    define EMBER_API
#  endif
#else
#  define EMBER_API __attribute__((visibility("default")))
#endif
