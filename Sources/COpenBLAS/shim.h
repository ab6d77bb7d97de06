#ifndef UJM_COPENBLAS_SHIM_H
#define UJM_COPENBLAS_SHIM_H
// OpenBLAS's own cblas.h (pkg-config puts its directory first); it also declares
// openblas_set_num_threads, openblas_get_num_threads and openblas_get_corename.
#include <cblas.h>
#endif
