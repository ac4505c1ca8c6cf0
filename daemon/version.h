#pragma once
#ifndef RINGEST_VERSION
#define RINGEST_VERSION "0.0.0"
#endif
