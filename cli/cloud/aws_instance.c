/* EC2 instances for `pith instance ... --provider aws` (see aws_instance.h). */
#include "aws_instance.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../suggest.h"
#include "aws_config.h"
#include "aws_ec2.h"

#define NAME_TAG "pith:instance"

struct inst_opts {
    const char *verb, *name, *image, *type, *region, *endpoint_url;
};

static const char *const verbs[] = { "create", "ls", "logs", "stop", "rm" };
static const char *const known_opts[] = { "--image", "--type", "--region", "--endpoint-url" };

static int usage(const char *verb, const char *msg, const char *word)
{
    fprintf(stderr, "pith: instance %s: %s%s%s%s (try 'pith instance --help')\n", verb, msg,
            word ? " '" : "", word ? word : "", word ? "'" : "");
    return 2;
}

/* Names go into tags and filters: printable, no quotes, at most 128 bytes. */
static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 128 || s[0] == '-') return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7F || *s == '"' || *s == '\\') return false;
    return true;
}

static int parse(int argc, char **argv, struct inst_opts *o)
{
    memset(o, 0, sizeof *o);
    o->verb = argv[0];
    o->type = "t3.micro";
    bool known = false;
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) known |= strcmp(o->verb, verbs[i]) == 0;
    if (!known) {
        const char *close = suggest_closest(o->verb, verbs, sizeof verbs / sizeof verbs[0]);
        if (close) fprintf(stderr, "pith: instance: unknown command '%s' (did you mean '%s'?)\n", o->verb, close);
        else fprintf(stderr, "pith: instance: unknown command '%s' (try 'pith instance --help')\n", o->verb);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char **value = NULL;
        if (strcmp(a, "--image") == 0) value = &o->image;
        else if (strcmp(a, "--type") == 0) value = &o->type;
        else if (strcmp(a, "--region") == 0) value = &o->region;
        else if (strcmp(a, "--endpoint-url") == 0) value = &o->endpoint_url;
        else if (a[0] == '-' && a[1]) {
            const char *close = suggest_closest(a, known_opts, sizeof known_opts / sizeof known_opts[0]);
            if (close) {
                fprintf(stderr, "pith: instance %s: unknown option '%s' (did you mean '%s'?)\n", o->verb, a, close);
                return 2;
            }
            return usage(o->verb, "unknown option", a);
        } else {
            if (o->name) return usage(o->verb, "one instance at a time; extra argument", a);
            o->name = a;
            continue;
        }
        if (i + 1 >= argc || !argv[i + 1][0]) return usage(o->verb, "option needs a value:", a);
        *value = argv[++i];
    }
    bool is_ls = strcmp(o->verb, "ls") == 0;
    if (is_ls && o->name) return usage(o->verb, "takes no name; extra argument", o->name);
    if (!is_ls && !o->name) return usage(o->verb, "which instance? give its name", NULL);
    if (o->name && !valid_name(o->name))
        return usage(o->verb, "a name is 1 to 128 printable characters without spaces or quotes, not", o->name);
    if ((o->image || strcmp(o->type, "t3.micro") != 0) && strcmp(o->verb, "create") != 0)
        return usage(o->verb, "--image and --type are for create", NULL);
    return 0;
}

/* The instances tagged NAME_TAG (=name when name is given) that are not terminated. */
static struct xml_node *describe(struct aws_http *h, const char *name, char *err, size_t errlen)
{
    struct ec2_params p;
    ec2_params_init(&p, "DescribeInstances");
    if (name) {
        ec2_param(&p, "Filter.1.Name", "tag:" NAME_TAG);
        ec2_param(&p, "Filter.1.Value.1", name);
    } else {
        ec2_param(&p, "Filter.1.Name", "tag-key");
        ec2_param(&p, "Filter.1.Value.1", NAME_TAG);
    }
    static const char *const live[] = { "pending", "running", "stopping", "stopped", "shutting-down" };
    ec2_param(&p, "Filter.2.Name", "instance-state-name");
    for (int i = 0; i < 5; i++) ec2_paramf(&p, "Filter.2.Value.%d", i + 1, live[i]);
    struct xml_node *root = ec2_call(h, &p, err, errlen);
    ec2_params_free(&p);
    return root;
}

/* The value of tag key in an instance's tagSet. */
static const char *tag(const struct xml_node *inst, const char *key)
{
    for (const struct xml_node *t = xml_path(inst, "tagSet") ? xml_path(inst, "tagSet")->child : NULL; t; t = t->next)
        if (strcmp(xml_text(t, "key"), key) == 0) return xml_text(t, "value");
    return "";
}

/* Call fn for each instance in a DescribeInstances reply. */
#define FOR_EACH_INSTANCE(root, inst)                                                              \
    for (const struct xml_node *res_ = xml_path(root, "reservationSet") ? xml_path(root, "reservationSet")->child : NULL; \
         res_; res_ = res_->next)                                                                   \
        for (const struct xml_node *inst = xml_path(res_, "instancesSet") ? xml_path(res_, "instancesSet")->child : NULL; \
             inst; inst = inst->next)

/* The id of the live instance called name, or false (err says why: none, or an error). */
static bool find_instance(struct aws_http *h, const char *name, char *id, size_t cap, char *err, size_t errlen)
{
    struct xml_node *root = describe(h, name, err, errlen);
    if (!root) return false;
    id[0] = '\0';
    int count = 0;
    FOR_EACH_INSTANCE(root, inst) {
        const char *i = xml_text(inst, "instanceId");
        if (strncmp(i, "i-", 2) != 0 || strlen(i) >= cap) continue;
        if (!count++) strcpy(id, i);
    }
    xml_free(root);
    if (!count) {
        snprintf(err, errlen, "no instance named '%s' (see 'pith instance ls --provider aws')", name);
        return false;
    }
    if (count > 1) {
        snprintf(err, errlen, "%d instances are named '%s'; pith manages one per name", count, name);
        return false;
    }
    return true;
}

static bool find_ami(struct aws_http *h, const char *image, char *ami, size_t cap, char *err, size_t errlen)
{
    if (strncmp(image, "ami-", 4) == 0) {
        snprintf(ami, cap, "%s", image);
        return true;
    }
    struct ec2_params p;
    ec2_params_init(&p, "DescribeImages");
    ec2_param(&p, "Owner.1", "self");
    ec2_param(&p, "Filter.1.Name", "name");
    ec2_param(&p, "Filter.1.Value.1", image);
    struct xml_node *root = ec2_call(h, &p, err, errlen);
    ec2_params_free(&p);
    if (!root) return false;
    bool found = false;
    const struct xml_node *set = xml_child(root, "imagesSet");
    for (const struct xml_node *it = set ? set->child : NULL; it && !found; it = it->next) {
        const char *id = xml_text(it, "imageId");
        if (strncmp(id, "ami-", 4) == 0 && strlen(id) < cap) {
            strcpy(ami, id);
            found = true;
        }
    }
    xml_free(root);
    if (!found)
        snprintf(err, errlen, "no AMI named '%s' in %s (upload one with 'pith image upload IMAGE --provider aws --name %s')",
                 image, h->cfg->region, image);
    return found;
}

static int cmd_create(struct aws_http *h, const struct inst_opts *o)
{
    char err[1024], id[64], ami[64];
    if (find_instance(h, o->name, id, sizeof id, err, sizeof err)) {
        fprintf(stderr, "pith: instance %s exists (%s); remove it first with 'pith instance rm %s --provider aws'\n",
                o->name, id, o->name);
        return 2;
    }
    if (strncmp(err, "no instance", 11) != 0) goto fail;
    if (!find_ami(h, o->image ? o->image : o->name, ami, sizeof ami, err, sizeof err)) goto fail;
    struct ec2_params p;
    ec2_params_init(&p, "RunInstances");
    ec2_param(&p, "ImageId", ami);
    ec2_param(&p, "InstanceType", o->type);
    ec2_param(&p, "MinCount", "1");
    ec2_param(&p, "MaxCount", "1");
    ec2_param(&p, "TagSpecification.1.ResourceType", "instance");
    ec2_param(&p, "TagSpecification.1.Tag.1.Key", "Name");
    ec2_param(&p, "TagSpecification.1.Tag.1.Value", o->name);
    ec2_param(&p, "TagSpecification.1.Tag.2.Key", NAME_TAG);
    ec2_param(&p, "TagSpecification.1.Tag.2.Value", o->name);
    struct xml_node *root = ec2_call(h, &p, err, sizeof err);
    ec2_params_free(&p);
    if (!root) goto fail;
    const char *iid = xml_text(root, "instancesSet/item/instanceId");
    if (strncmp(iid, "i-", 2) != 0) {
        xml_free(root);
        snprintf(err, sizeof err, "aws: ec2 RunInstances: no instance id in the reply");
        goto fail;
    }
    printf("%s %s\n", o->name, iid);
    xml_free(root);
    return 0;
fail:
    fprintf(stderr, "pith: %s\n", err);
    return 1;
}

static int cmd_ls(struct aws_http *h)
{
    char err[1024];
    struct xml_node *root = describe(h, NULL, err, sizeof err);
    if (!root) {
        fprintf(stderr, "pith: %s\n", err);
        return 1;
    }
    printf("%-20s %-21s %-13s %-12s %-22s %s\n", "NAME", "ID", "STATE", "TYPE", "IMAGE", "LAUNCHED");
    FOR_EACH_INSTANCE(root, inst) {
        printf("%-20s %-21s %-13s %-12s %-22s %s\n", tag(inst, NAME_TAG), xml_text(inst, "instanceId"),
               xml_text(inst, "instanceState/name"), xml_text(inst, "instanceType"), xml_text(inst, "imageId"),
               xml_text(inst, "launchTime"));
    }
    xml_free(root);
    return 0;
}

static int cmd_logs(struct aws_http *h, const char *id, const char *name)
{
    char err[1024];
    struct ec2_params p;
    ec2_params_init(&p, "GetConsoleOutput");
    ec2_param(&p, "InstanceId", id);
    ec2_param(&p, "Latest", "true");
    struct xml_node *root = ec2_call(h, &p, err, sizeof err);
    ec2_params_free(&p);
    if (!root) {
        fprintf(stderr, "pith: %s\n", err);
        return 1;
    }
    const char *b64 = xml_text(root, "output");
    size_t n = strlen(b64);
    if (!n) {
        fprintf(stderr, "pith: %s (%s): no console output yet (EC2 updates it every few minutes)\n", name, id);
        xml_free(root);
        return 0;
    }
    unsigned char *out = malloc(n + 4);
    int len = 0, tail = 0;
    EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
    bool ok = out && ctx;
    if (ok) {
        EVP_DecodeInit(ctx);
        ok = EVP_DecodeUpdate(ctx, out, &len, (const unsigned char *)b64, (int)n) >= 0 &&
             EVP_DecodeFinal(ctx, out + len, &tail) == 1;
    }
    if (ok) fwrite(out, 1, (size_t)(len + tail), stdout);
    else fprintf(stderr, "pith: aws: ec2 GetConsoleOutput: the output is not base64\n");
    EVP_ENCODE_CTX_free(ctx);
    free(out);
    xml_free(root);
    return ok ? 0 : 1;
}

static int cmd_state_change(struct aws_http *h, const char *action, const char *id, const char *name)
{
    char err[1024];
    struct ec2_params p;
    ec2_params_init(&p, action);
    ec2_param(&p, "InstanceId.1", id);
    struct xml_node *root = ec2_call(h, &p, err, sizeof err);
    ec2_params_free(&p);
    if (!root) {
        fprintf(stderr, "pith: %s\n", err);
        return 1;
    }
    const char *state = xml_text(root, "instancesSet/item/currentState/name");
    printf("%s %s %s\n", name, id, *state ? state : "?");
    xml_free(root);
    return 0;
}

/* Every verb: argv[0] is the verb, "--provider aws" already taken out by cmd_instance.c. */
static int aws_instance_verb(int argc, char **argv)
{
    struct inst_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc;
    char err[1024];
    struct aws_config cfg;
    if (!aws_config_load(&cfg, o.region, o.endpoint_url, err, sizeof err)) {
        fprintf(stderr, "pith: %s\n", err);
        return 2;
    }
    struct aws_http h;
    if (!aws_http_global_init(err, sizeof err) || !aws_http_open(&h, &cfg, err, sizeof err)) {
        fprintf(stderr, "pith: %s\n", err);
        return 1;
    }
    if (strcmp(o.verb, "create") == 0) rc = cmd_create(&h, &o);
    else if (strcmp(o.verb, "ls") == 0) rc = cmd_ls(&h);
    else {
        char id[64];
        if (!find_instance(&h, o.name, id, sizeof id, err, sizeof err)) {
            fprintf(stderr, "pith: %s\n", err);
            rc = strncmp(err, "no instance", 11) == 0 ? 2 : 1;
        } else if (strcmp(o.verb, "logs") == 0) rc = cmd_logs(&h, id, o.name);
        else if (strcmp(o.verb, "stop") == 0) rc = cmd_state_change(&h, "StopInstances", id, o.name);
        else rc = cmd_state_change(&h, "TerminateInstances", id, o.name);
    }
    aws_http_close(&h);
    return rc;
}

const struct instance_provider instance_aws = {
    "aws", aws_instance_verb, aws_instance_verb, aws_instance_verb, aws_instance_verb, aws_instance_verb,
};
