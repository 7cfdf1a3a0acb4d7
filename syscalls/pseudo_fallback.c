/* TEMPORARY: stands in for fs/pseudo*.c until they land; weak, so the real
 * ones win. */
#include "../fs/pseudo.h"
__attribute__((weak)) int pseudo_lookup(const char *path, struct pseudo_node **out) { return PSEUDO_NOT_MINE; }
__attribute__((weak)) void pseudo_stat(struct pseudo_node *n, struct linux_stat *st) {}
__attribute__((weak)) uint32_t pseudo_mode(struct pseudo_node *n) { return 0; }
__attribute__((weak)) int pseudo_readlink(struct pseudo_node *n, char *buf, size_t len) { return -22; }
__attribute__((weak)) struct file *pseudo_open(struct heap *h, struct pseudo_node *n, uint32_t flags, int *err) { *err = -2; return 0; }
