/* The few UEFI definitions the Pith loader uses, written from the UEFI
 * specification (2.x): the system table, the boot services it calls, the
 * Block I/O and text output protocols, the memory map. Tables list every
 * member up to the last one used, so offsets match the specification;
 * firmware functions use the Microsoft x64 calling convention (EFIAPI). */
#pragma once
#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define EFIAPI __attribute__((ms_abi))

typedef uint64_t efi_status;
typedef void *efi_handle;
typedef uint16_t char16;

#define EFI_SUCCESS 0
#define EFI_ERROR_BIT (1ull << 63)
#define EFI_INVALID_PARAMETER (EFI_ERROR_BIT | 2)
#define EFI_BUFFER_TOO_SMALL (EFI_ERROR_BIT | 5)
#define EFI_NOT_FOUND (EFI_ERROR_BIT | 14)
#define EFI_LOAD_ERROR (EFI_ERROR_BIT | 1)

struct efi_guid {
    uint32_t a;
    uint16_t b, c;
    uint8_t d[8];
};

struct efi_table_header {
    uint64_t signature;
    uint32_t revision, header_size, crc32, reserved;
};

struct efi_text_output {
    void *reset;
    efi_status(EFIAPI *output_string)(struct efi_text_output *self, const char16 *s);
};

/* EFI_MEMORY_TYPE */
enum {
    EFI_RESERVED_MEMORY, EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BOOT_SERVICES_CODE, EFI_BOOT_SERVICES_DATA,
    EFI_RUNTIME_SERVICES_CODE, EFI_RUNTIME_SERVICES_DATA, EFI_CONVENTIONAL_MEMORY, EFI_UNUSABLE_MEMORY,
    EFI_ACPI_RECLAIM_MEMORY, EFI_ACPI_MEMORY_NVS, EFI_MEMORY_MAPPED_IO, EFI_MEMORY_MAPPED_IO_PORT_SPACE,
    EFI_PAL_CODE, EFI_PERSISTENT_MEMORY,
};

/* EFI_ALLOCATE_TYPE */
enum { EFI_ALLOCATE_ANY_PAGES, EFI_ALLOCATE_MAX_ADDRESS, EFI_ALLOCATE_ADDRESS };

/* EFI_LOCATE_SEARCH_TYPE */
enum { EFI_ALL_HANDLES, EFI_BY_REGISTER_NOTIFY, EFI_BY_PROTOCOL };

struct efi_memory_descriptor {
    uint32_t type;
    uint32_t pad;
    uint64_t physical_start, virtual_start, number_of_pages, attribute;
};

#define EFI_PAGE_SIZE 4096ull

struct efi_boot_services {
    struct efi_table_header hdr;
    void *raise_tpl, *restore_tpl;
    efi_status(EFIAPI *allocate_pages)(int type, int memory_type, uint64_t pages, uint64_t *memory);
    efi_status(EFIAPI *free_pages)(uint64_t memory, uint64_t pages);
    efi_status(EFIAPI *get_memory_map)(uint64_t *map_size, struct efi_memory_descriptor *map, uint64_t *map_key,
                                       uint64_t *descriptor_size, uint32_t *descriptor_version);
    efi_status(EFIAPI *allocate_pool)(int memory_type, uint64_t size, void **buffer);
    efi_status(EFIAPI *free_pool)(void *buffer);
    void *create_event, *set_timer, *wait_for_event, *signal_event, *close_event, *check_event;
    void *install_protocol_interface, *reinstall_protocol_interface, *uninstall_protocol_interface;
    efi_status(EFIAPI *handle_protocol)(efi_handle handle, const struct efi_guid *protocol, void **interface);
    void *reserved, *register_protocol_notify, *locate_handle, *locate_device_path, *install_configuration_table;
    void *load_image, *start_image, *exit, *unload_image;
    efi_status(EFIAPI *exit_boot_services)(efi_handle image, uint64_t map_key);
    void *get_next_monotonic_count;
    efi_status(EFIAPI *stall)(uint64_t microseconds);
    efi_status(EFIAPI *set_watchdog_timer)(uint64_t timeout, uint64_t code, uint64_t size, const char16 *data);
    void *connect_controller, *disconnect_controller;
    void *open_protocol, *close_protocol, *open_protocol_information;
    void *protocols_per_handle;
    efi_status(EFIAPI *locate_handle_buffer)(int search_type, const struct efi_guid *protocol, void *search_key,
                                             uint64_t *count, efi_handle **buffer);
};

/* EFI_RESET_TYPE */
enum { EFI_RESET_COLD, EFI_RESET_WARM, EFI_RESET_SHUTDOWN };

struct efi_runtime_services {
    struct efi_table_header hdr;
    void *get_time, *set_time, *get_wakeup_time, *set_wakeup_time;
    void *set_virtual_address_map, *convert_pointer;
    void *get_variable, *get_next_variable_name, *set_variable;
    void *get_next_high_monotonic_count;
    void(EFIAPI *reset_system)(int type, efi_status status, uint64_t data_size, void *data);
};

struct efi_configuration_table {
    struct efi_guid vendor_guid;
    void *vendor_table;
};

struct efi_system_table {
    struct efi_table_header hdr;
    char16 *firmware_vendor;
    uint32_t firmware_revision;
    efi_handle console_in_handle;
    void *con_in;
    efi_handle console_out_handle;
    struct efi_text_output *con_out;
    efi_handle standard_error_handle;
    struct efi_text_output *std_err;
    struct efi_runtime_services *runtime_services;
    struct efi_boot_services *boot_services;
    uint64_t number_of_table_entries;
    struct efi_configuration_table *configuration_table;
};

struct efi_block_io_media {
    uint32_t media_id;
    uint8_t removable_media, media_present, logical_partition, read_only, write_caching;   /* BOOLEAN */
    uint32_t block_size, io_align;
    uint64_t last_block;
};

struct efi_block_io {
    uint64_t revision;
    struct efi_block_io_media *media;
    void *reset;
    efi_status(EFIAPI *read_blocks)(struct efi_block_io *self, uint32_t media_id, uint64_t lba, uint64_t size,
                                    void *buffer);
};

#define EFI_BLOCK_IO_PROTOCOL_GUID { 0x964e5b21, 0x6459, 0x11d2, { 0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b } }
#define EFI_ACPI_20_TABLE_GUID { 0x8868e871, 0xe4f1, 0x11d3, { 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } }
#define EFI_ACPI_10_TABLE_GUID { 0xeb9d2d30, 0x2d88, 0x11d3, { 0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } }
