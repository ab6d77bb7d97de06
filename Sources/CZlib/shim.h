#ifndef UJM_CZLIB_SHIM_H
#define UJM_CZLIB_SHIM_H
#include <zlib.h>
#endif
