/* The activation header's implementation, compiled as C (the header's C ABI). */
#define SPANPROF_ACTIVATION_IMPLEMENTATION
#include <spanprof/activation.h>
