#ifndef UJM_CLAPACKE_SHIM_H
#define UJM_CLAPACKE_SHIM_H
#include <lapacke.h>
#endif
