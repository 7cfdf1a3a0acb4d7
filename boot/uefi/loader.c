/* The Pith UEFI loader (EFI\BOOT\BOOTX64.EFI on the image's ESP): find the
 * image's kernel partition, load the kernel ELF, build the PVH start info
 * from UEFI's memory map, exit boot services and enter the kernel's PVH
 * entry in 32-bit protected mode with paging off, exactly as the BIOS stage
 * 2 and QEMU's -kernel do (docs/boot.md). */
#include "loader.h"
#include "marker.h"
#include "memmap.h"

struct efi_system_table *efi_system;

/* boot/uefi/enter.S: position-independent, run from a copy below 4 GiB. */
extern const uint8_t enter_pvh[], enter_pvh_end[];
typedef void (*enter_fn)(uint64_t entry, uint64_t start_info, uint64_t stack_top);

#define LOW_LIMIT 0x3fffffffull   /* the kernel's boot page tables map the first GiB */
#define INFO_PAGES 16             /* start info + up to ~2700 map entries */
#define COM1 0x3f8

void *memcpy(void *dst, const void *src, size_t n)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    uint8_t *d = dst;
    while (n--) *d++ = (uint8_t)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y) return *x - *y;
    return 0;
}

static void print(const char *s)
{
    char16 buf[128];
    size_t n = 0;
    for (; *s; s++) {
        if (n + 3 >= sizeof buf / sizeof buf[0]) {
            buf[n] = 0;
            efi_system->con_out->output_string(efi_system->con_out, buf);
            n = 0;
        }
        if (*s == '\n') buf[n++] = '\r';
        buf[n++] = (char16)(uint8_t)*s;
    }
    buf[n] = 0;
    efi_system->con_out->output_string(efi_system->con_out, buf);
}

void loader_fail(const char *why, uint64_t value)
{
    char hex[24] = " 0x";
    int n = 3;
    for (int shift = 60; shift >= 0; shift -= 4)
        if (value >> shift || shift == 0 || n > 3) hex[n++] = "0123456789abcdef"[(value >> shift) & 15];
    hex[n] = 0;
    print("pith efi: ");
    print(why);
    if (value) print(hex);
    print("\n");
    efi_system->boot_services->stall(100000);
    efi_system->runtime_services->reset_system(EFI_RESET_SHUTDOWN, EFI_LOAD_ERROR, 0, NULL);
    for (;;) __asm__ volatile("hlt");
}

static uint64_t low_pages(int memory_type, uint64_t count)
{
    uint64_t addr = LOW_LIMIT;
    if (efi_system->boot_services->allocate_pages(EFI_ALLOCATE_MAX_ADDRESS, memory_type, count, &addr))
        loader_fail("no free memory below 1 GiB for the start info", 0);
    return addr;
}

static uint64_t rsdp(void)
{
    static const struct efi_guid acpi20 = EFI_ACPI_20_TABLE_GUID, acpi10 = EFI_ACPI_10_TABLE_GUID;
    uint64_t found = 0;
    for (uint64_t i = 0; i < efi_system->number_of_table_entries; i++) {
        const struct efi_configuration_table *t = &efi_system->configuration_table[i];
        if (memcmp(&t->vendor_guid, &acpi20, sizeof acpi20) == 0) return (uint64_t)t->vendor_table;
        if (memcmp(&t->vendor_guid, &acpi10, sizeof acpi10) == 0) found = (uint64_t)t->vendor_table;
    }
    return found;
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

/* After ExitBootServices the console is ours: the marker goes straight to
 * the UART the firmware set up (bounded wait: an absent port reads 0xff). */
static void serial_marker(void)
{
    for (const char *s = PITH_UEFI_MARKER; *s; s++) {
        for (int spin = 0; spin < 1000000 && !(inb(COM1 + 5) & 0x20); spin++) __asm__ volatile("pause");
        outb(COM1, (uint8_t)*s);
    }
}

efi_status EFIAPI efi_main(efi_handle image, struct efi_system_table *system)
{
    efi_system = system;
    struct efi_boot_services *bs = system->boot_services;
    bs->set_watchdog_timer(0, 0, 0, NULL);
    uint32_t entry = kernel_load();

    uint8_t *info = (uint8_t *)low_pages(EFI_LOADER_DATA, INFO_PAGES);
    memset(info, 0, INFO_PAGES * EFI_PAGE_SIZE);
    struct pvh_start_info *si = (void *)info;
    struct pvh_memmap_entry *map = (void *)(info + 64);
    uint32_t map_room = (uint32_t)((INFO_PAGES * EFI_PAGE_SIZE - 64) / sizeof *map);
    /* The trampoline runs from a page that is below 4 GiB and executable
     * (OVMF marks loader data no-execute); its stack is the page's top. */
    uint8_t *tramp = (uint8_t *)low_pages(EFI_LOADER_CODE, 1);
    memcpy(tramp, enter_pvh, (size_t)(enter_pvh_end - enter_pvh));
    uint64_t acpi = rsdp();

    /* The map must be read last: any allocation changes it (and its key). */
    uint64_t size = 0, key, desc_size;
    uint32_t desc_version;
    bs->get_memory_map(&size, NULL, &key, &desc_size, &desc_version);
    uint64_t room = size + 16 * desc_size;
    void *efi_map;
    if (bs->allocate_pool(EFI_LOADER_DATA, room, &efi_map)) loader_fail("out of memory for the memory map", room);
    efi_status st = EFI_INVALID_PARAMETER;
    for (int attempt = 0; attempt < 4 && st; attempt++) {
        size = room;
        if (bs->get_memory_map(&size, efi_map, &key, &desc_size, &desc_version))
            loader_fail("cannot read the memory map", size);
        st = bs->exit_boot_services(image, key);
    }
    if (st) loader_fail("ExitBootServices failed", st);

    /* Boot services are gone: no firmware calls, and no firmware interrupt
     * handlers either, from here on. */
    __asm__ volatile("cli");
    uint32_t n = efi_memmap_to_pvh(efi_map, size, desc_size, map, map_room);
    *si = (struct pvh_start_info){ .magic = PVH_START_MAGIC, .version = 1, .rsdp_paddr = acpi,
                                   .memmap_paddr = (uint64_t)map, .memmap_entries = n };
    serial_marker();
    ((enter_fn)tramp)(entry, (uint64_t)si, (uint64_t)tramp + EFI_PAGE_SIZE);
    return EFI_LOAD_ERROR;
}
