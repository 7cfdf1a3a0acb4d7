/* AVL rebalancing always walks from the changed node to the root: that walk
 * is needed anyway to refresh the callers' summaries, and it keeps insert
 * and erase one loop instead of the usual early-stopping special cases. */
#include "avl.h"

static int height(const struct avl_node *n) { return n ? n->height : 0; }

static void refresh(struct avl_tree *t, struct avl_node *n)
{
    int l = height(n->left), r = height(n->right);
    n->height = 1 + (l > r ? l : r);
    if (t->update) t->update(n);
}

static void replace_child(struct avl_tree *t, struct avl_node *parent, struct avl_node *old, struct avl_node *new)
{
    if (!parent) t->root = new;
    else if (parent->left == old) parent->left = new;
    else parent->right = new;
}

/* x's right child takes x's place; x becomes its left child. */
static struct avl_node *rotate_left(struct avl_tree *t, struct avl_node *x)
{
    struct avl_node *y = x->right;
    x->right = y->left;
    if (y->left) y->left->parent = x;
    y->parent = x->parent;
    replace_child(t, x->parent, x, y);
    y->left = x;
    x->parent = y;
    refresh(t, x);
    refresh(t, y);
    return y;
}

static struct avl_node *rotate_right(struct avl_tree *t, struct avl_node *x)
{
    struct avl_node *y = x->left;
    x->left = y->right;
    if (y->right) y->right->parent = x;
    y->parent = x->parent;
    replace_child(t, x->parent, x, y);
    y->right = x;
    x->parent = y;
    refresh(t, x);
    refresh(t, y);
    return y;
}

/* One insert or erase leaves heights differing by at most 2 here. */
static struct avl_node *rebalance(struct avl_tree *t, struct avl_node *n)
{
    refresh(t, n);
    int balance = height(n->left) - height(n->right);
    if (balance > 1) {
        if (height(n->left->left) < height(n->left->right)) rotate_left(t, n->left);
        return rotate_right(t, n);
    }
    if (balance < -1) {
        if (height(n->right->right) < height(n->right->left)) rotate_right(t, n->right);
        return rotate_left(t, n);
    }
    return n;
}

static void fix_upward(struct avl_tree *t, struct avl_node *n)
{
    while (n) n = rebalance(t, n)->parent;
}

void avl_link(struct avl_tree *t, struct avl_node *n, struct avl_node *parent, struct avl_node **link)
{
    n->left = n->right = NULL;
    n->parent = parent;
    n->height = 1;
    *link = n;
    fix_upward(t, n);
}

void avl_erase(struct avl_tree *t, struct avl_node *n)
{
    struct avl_node *from;
    if (n->left && n->right) {
        /* The successor (leftmost of the right subtree) takes n's place. */
        struct avl_node *s = n->right;
        while (s->left) s = s->left;
        if (s->parent != n) {
            from = s->parent;
            from->left = s->right;
            if (s->right) s->right->parent = from;
            s->right = n->right;
            n->right->parent = s;
        } else {
            from = s;
        }
        s->left = n->left;
        n->left->parent = s;
        s->parent = n->parent;
        replace_child(t, n->parent, n, s);
    } else {
        struct avl_node *child = n->left ? n->left : n->right;
        from = n->parent;
        if (child) child->parent = from;
        replace_child(t, from, n, child);
    }
    fix_upward(t, from);
}

void avl_changed(struct avl_tree *t, struct avl_node *n)
{
    for (; n; n = n->parent)
        if (t->update) t->update(n);
}

struct avl_node *avl_first(const struct avl_tree *t)
{
    struct avl_node *n = t->root;
    while (n && n->left) n = n->left;
    return n;
}

struct avl_node *avl_last(const struct avl_tree *t)
{
    struct avl_node *n = t->root;
    while (n && n->right) n = n->right;
    return n;
}

struct avl_node *avl_next(const struct avl_node *n)
{
    if (n->right) {
        n = n->right;
        while (n->left) n = n->left;
        return (struct avl_node *)n;
    }
    while (n->parent && n == n->parent->right) n = n->parent;
    return n->parent;
}

struct avl_node *avl_prev(const struct avl_node *n)
{
    if (n->left) {
        n = n->left;
        while (n->right) n = n->right;
        return (struct avl_node *)n;
    }
    while (n->parent && n == n->parent->left) n = n->parent;
    return n->parent;
}
