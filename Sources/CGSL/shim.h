#ifndef UJM_CGSL_SHIM_H
#define UJM_CGSL_SHIM_H
// OpenBLAS's CBLAS first; then keep GSL's own gsl_cblas.h out, whose CBLAS enums clash
// with OpenBLAS's (docs/C-INTEROP.md, pitfall 1). GSL's cblas_* calls bind to OpenBLAS.
#include <cblas.h>
#define __GSL_CBLAS_H__ 1
#include <gsl/gsl_errno.h>
#include <gsl/gsl_vector.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_cdf.h>

// Swift 6 rejects C globals as not concurrency-safe: expose them through accessors.
static inline const gsl_multimin_fdfminimizer_type *ujm_gsl_vector_bfgs2(void) {
  return gsl_multimin_fdfminimizer_vector_bfgs2;
}
static inline const gsl_multimin_fdfminimizer_type *ujm_gsl_conjugate_fr(void) {
  return gsl_multimin_fdfminimizer_conjugate_fr;
}
static inline const gsl_multimin_fdfminimizer_type *ujm_gsl_conjugate_pr(void) {
  return gsl_multimin_fdfminimizer_conjugate_pr;
}
static inline const gsl_multimin_fdfminimizer_type *ujm_gsl_steepest_descent(void) {
  return gsl_multimin_fdfminimizer_steepest_descent;
}
#endif
