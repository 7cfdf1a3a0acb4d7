/* Where AWS credentials, the region and the endpoints come from: the
 * environment first, then the shared credentials and config files, as the
 * AWS CLI looks (docs/cloud.md). */
#include "aws_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static bool copy(char *dst, size_t cap, const char *src, const char *what, char *err, size_t errlen)
{
    if (strlen(src) >= cap) {
        snprintf(err, errlen, "aws: %s is too long", what);
        return false;
    }
    strcpy(dst, src);
    return true;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = '\0';
    return s;
}

/* The value of KEY in section SECTION of an INI-style AWS file, or false.
 * Indented lines belong to a nested block (e.g. "s3 =") and are skipped. */
static bool ini_lookup(const char *path, const char *section, const char *key, char *out, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[8192];
    bool in_section = false, found = false;
    while (!found && fgets(line, sizeof line, f)) {
        if (line[0] == ' ' || line[0] == '\t') continue;
        char *s = trim(line);
        if (*s == '#' || *s == ';' || *s == '\0') continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (!end) { in_section = false; continue; }
            *end = '\0';
            in_section = strcmp(trim(s + 1), section) == 0;
            continue;
        }
        if (!in_section) continue;
        char *eq = strchr(s, '=');
        if (!eq) continue;
        *eq = '\0';
        if (strcmp(trim(s), key) != 0) continue;
        char *v = trim(eq + 1);
        if (strlen(v) < cap) {
            strcpy(out, v);
            found = true;
        }
    }
    fclose(f);
    return found;
}

static bool section_exists(const char *path, const char *section)
{
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[8192];
    bool found = false;
    while (!found && fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (*s != '[') continue;
        char *end = strchr(s, ']');
        if (!end) continue;
        *end = '\0';
        found = strcmp(trim(s + 1), section) == 0;
    }
    fclose(f);
    return found;
}

static void home_file(char *out, size_t cap, const char *env_name, const char *rel)
{
    const char *v = env(env_name);
    if (v) {
        snprintf(out, cap, "%s", v);
        return;
    }
    const char *home = env("HOME");
    snprintf(out, cap, "%s/.aws/%s", home ? home : "", rel);
}

/* KEY for the profile: the credentials file's [NAME], then the config
 * file's [profile NAME] ([default] for the default profile). */
static bool profile_value(const struct aws_config *cfg, const char *creds_path, const char *config_path,
                          const char *key, char *out, size_t cap, bool credentials_file_too)
{
    if (credentials_file_too && ini_lookup(creds_path, cfg->profile, key, out, cap)) return true;
    char section[160];
    if (strcmp(cfg->profile, "default") == 0)
        snprintf(section, sizeof section, "default");
    else
        snprintf(section, sizeof section, "profile %s", cfg->profile);
    return ini_lookup(config_path, section, key, out, cap);
}

static bool endpoint(char *dst, size_t cap, const char *given, const char *service_env,
                     const char *service, const char *region, char *err, size_t errlen)
{
    const char *url = given ? given : env(service_env) ? env(service_env) : env("AWS_ENDPOINT_URL");
    char def[256];
    if (!url) {
        snprintf(def, sizeof def, "https://%s.%s.amazonaws.com", service, region);
        url = def;
    }
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
        snprintf(err, errlen, "aws: endpoint '%s' is not an http:// or https:// URL", url);
        return false;
    }
    if (!copy(dst, cap, url, "the endpoint URL", err, errlen)) return false;
    size_t n = strlen(dst);
    while (n > 8 && dst[n - 1] == '/') dst[--n] = '\0';
    return true;
}

bool aws_config_load(struct aws_config *cfg, const char *region_opt, const char *endpoint_opt,
                     char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    char creds_path[1024], config_path[1024];
    home_file(creds_path, sizeof creds_path, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    home_file(config_path, sizeof config_path, "AWS_CONFIG_FILE", "config");
    const char *profile = env("AWS_PROFILE");
    if (!profile) profile = env("AWS_DEFAULT_PROFILE");
    bool named_profile = profile != NULL;
    if (!copy(cfg->profile, sizeof cfg->profile, profile ? profile : "default", "AWS_PROFILE", err, errlen))
        return false;
    if (named_profile && !section_exists(creds_path, cfg->profile)) {
        char section[160];
        snprintf(section, sizeof section, "profile %s", cfg->profile);
        if (!section_exists(config_path, section) &&
            !(strcmp(cfg->profile, "default") == 0 && section_exists(config_path, "default"))) {
            snprintf(err, errlen, "aws: profile '%s' (AWS_PROFILE) is in neither %s nor %s",
                     cfg->profile, creds_path, config_path);
            return false;
        }
    }

    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY");
    if (id && secret) {   /* as botocore: the environment's keys win over AWS_PROFILE */
        if (!copy(cfg->access_key, sizeof cfg->access_key, id, "AWS_ACCESS_KEY_ID", err, errlen) ||
            !copy(cfg->secret_key, sizeof cfg->secret_key, secret, "AWS_SECRET_ACCESS_KEY", err, errlen))
            return false;
        const char *token = env("AWS_SESSION_TOKEN");
        if (token && !copy(cfg->session_token, sizeof cfg->session_token, token, "AWS_SESSION_TOKEN", err, errlen))
            return false;
    } else if (profile_value(cfg, creds_path, config_path, "aws_access_key_id", cfg->access_key,
                             sizeof cfg->access_key, true)) {
        if (!profile_value(cfg, creds_path, config_path, "aws_secret_access_key", cfg->secret_key,
                           sizeof cfg->secret_key, true)) {
            snprintf(err, errlen, "aws: profile '%s' has aws_access_key_id but no aws_secret_access_key",
                     cfg->profile);
            return false;
        }
        profile_value(cfg, creds_path, config_path, "aws_session_token", cfg->session_token,
                      sizeof cfg->session_token, true);
    } else if (id || secret) {
        snprintf(err, errlen, "aws: %s is set but %s is not", id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                 id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
        return false;
    } else {
        snprintf(err, errlen, "aws: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                 "or AWS_PROFILE with a profile in %s", creds_path);
        return false;
    }

    const char *region = region_opt ? region_opt : env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION");
    if (region) {
        if (!copy(cfg->region, sizeof cfg->region, region, "the region", err, errlen)) return false;
    } else if (!profile_value(cfg, creds_path, config_path, "region", cfg->region, sizeof cfg->region, false)) {
        snprintf(err, errlen, "aws: no region: give --region, set AWS_REGION, or put region = ... "
                 "in profile '%s' of %s", cfg->profile, config_path);
        return false;
    }
    for (const char *c = cfg->region; *c; c++) {
        if (!isalnum((unsigned char)*c) && *c != '-') {
            snprintf(err, errlen, "aws: region '%s' is not a region name (such as us-east-1)", cfg->region);
            return false;
        }
    }
    if (!cfg->region[0]) {
        snprintf(err, errlen, "aws: the region is empty");
        return false;
    }
    return endpoint(cfg->ebs_url, sizeof cfg->ebs_url, endpoint_opt, "AWS_ENDPOINT_URL_EBS", "ebs",
                    cfg->region, err, errlen) &&
           endpoint(cfg->ec2_url, sizeof cfg->ec2_url, endpoint_opt, "AWS_ENDPOINT_URL_EC2", "ec2",
                    cfg->region, err, errlen);
}
