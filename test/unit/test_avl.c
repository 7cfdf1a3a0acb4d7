/* Host unit test for klib/avl.c: random inserts and erases against a sorted
 * array, checking after each step the order both ways, the AVL balance,
 * parent links and an augmented summary (subtree key sum) like the one the
 * address space keeps. */
#include "../../klib/avl.h"
#include "check.h"
#include <stdlib.h>

struct item {
    struct avl_node node;
    int key;
    long sum;               /* keys in the subtree */
};

#define ITEM(n) container_of(n, struct item, node)

static void update_sum(struct avl_node *n)
{
    long s = ITEM(n)->key;
    if (n->left) s += ITEM(n->left)->sum;
    if (n->right) s += ITEM(n->right)->sum;
    ITEM(n)->sum = s;
}

static struct avl_tree tree = { .update = update_sum };
static int model[4096], count;

static void insert(struct item *it)
{
    struct avl_node **link = &tree.root, *parent = NULL;
    while (*link) {
        parent = *link;
        link = it->key < ITEM(parent)->key ? &parent->left : &parent->right;
    }
    avl_link(&tree, &it->node, parent, link);
}

/* Height, balance, parents and sums of a subtree; its height or -1. */
static int verify(struct avl_node *n, struct avl_node *parent, long *sum)
{
    if (!n) {
        *sum = 0;
        return 0;
    }
    long ls, rs;
    int l = verify(n->left, n, &ls), r = verify(n->right, n, &rs);
    if (l < 0 || r < 0) return -1;
    *sum = ls + rs + ITEM(n)->key;
    bool ok = n->parent == parent && l - r <= 1 && r - l <= 1 && n->height == 1 + (l > r ? l : r) &&
              ITEM(n)->sum == *sum;
    return ok ? n->height : -1;
}

static bool matches_model(void)
{
    long sum;
    if (verify(tree.root, NULL, &sum) < 0) return false;
    int i = 0;
    for (struct avl_node *n = avl_first(&tree); n; n = avl_next(n), i++)
        if (i >= count || ITEM(n)->key != model[i]) return false;
    if (i != count) return false;
    for (struct avl_node *n = avl_last(&tree); n; n = avl_prev(n))
        if (--i < 0 || ITEM(n)->key != model[i]) return false;
    return i == 0;
}

int main(void)
{
    static struct item items[4096];
    static bool in_tree[4096];
    srand(7);
    CHECK_THAT(avl_first(&tree) == NULL && avl_last(&tree) == NULL);
    for (int step = 0; step < 40000; step++) {
        int k = rand() % 4096;
        if (!in_tree[k]) {
            items[k].key = k;
            insert(&items[k]);
            int at = count++;
            while (at > 0 && model[at - 1] > k) {
                model[at] = model[at - 1];
                at--;
            }
            model[at] = k;
        } else {
            avl_erase(&tree, &items[k].node);
            int at = 0;
            while (model[at] != k) at++;
            for (count--; at < count; at++) model[at] = model[at + 1];
        }
        in_tree[k] = !in_tree[k];
        /* A key change that keeps the order: the summary follows. */
        if (step % 7 == 0 && tree.root) {
            struct item *it = ITEM(tree.root);
            avl_changed(&tree, &it->node);
        }
        if (step % 97 == 0 || count < 64) CHECK(matches_model(), "step %d: tree differs from the model", step);
    }
    CHECK(matches_model(), "tree differs from the model at the end (%d keys)", count);
    /* Sorted input, the worst case for an unbalanced tree, stays shallow. */
    while (tree.root) avl_erase(&tree, tree.root);
    for (int i = 0; i < 4096; i++) {
        items[i].key = i;
        insert(&items[i]);
    }
    CHECK(tree.root->height <= 13, "height %d for 4096 sorted keys", tree.root->height);
    return check_report("test_avl");
}
