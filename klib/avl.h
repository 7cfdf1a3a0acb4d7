/* An intrusive AVL tree: the caller embeds struct avl_node, finds where a
 * node goes itself (only it knows the key) and links it there. Nodes keep
 * their parent, so in-order neighbours need no stack, and every node whose
 * subtree changes is handed to the tree's `update` hook, so a caller can
 * keep per-subtree summaries (an augmented tree: the address space keeps
 * the largest gap between regions). Freestanding: the kernel and host tools
 * share it. */
#pragma once
#include "types.h"

struct avl_node {
    struct avl_node *left, *right, *parent;
    int height;             /* of the subtree, a leaf is 1 */
};

struct avl_tree {
    struct avl_node *root;
    /* Recompute n's summary from its own fields and its children's
     * (already current) summaries; NULL when there is none. */
    void (*update)(struct avl_node *n);
};

/* Put n at *link, a NULL child pointer of parent (or &t->root with parent
 * NULL) found by descending from the root, then rebalance. */
void avl_link(struct avl_tree *t, struct avl_node *n, struct avl_node *parent, struct avl_node **link);
void avl_erase(struct avl_tree *t, struct avl_node *n);
/* n's fields that its summary depends on changed but its place did not:
 * recompute the summaries from n up to the root. */
void avl_changed(struct avl_tree *t, struct avl_node *n);

struct avl_node *avl_first(const struct avl_tree *t);
struct avl_node *avl_last(const struct avl_tree *t);
struct avl_node *avl_next(const struct avl_node *n);
struct avl_node *avl_prev(const struct avl_node *n);
