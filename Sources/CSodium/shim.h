#ifndef MESSAGING_CSODIUM_SHIM_H
#define MESSAGING_CSODIUM_SHIM_H
#include <sodium.h>
#endif
