// SwiftPM links an executable with `main` renamed to `<module>_main`; this defines that symbol
// as libFuzzer's driver, so the sanitizer runtime's own `main` is not needed.
#include "FuzzerEntry.h"

int LLVMFuzzerRunDriver(int *argc, char ***argv,
                        int (*callback)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int ReaderFuzzer_main(int argc, char **argv) {
  return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
