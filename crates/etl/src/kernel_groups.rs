//! Kernel event groups (`EVENT_TRACE_GROUP_*`) and the MSNT_SystemTrace class GUIDs that
//! decoders report for them (format doc §4.9).

use uuid::{Uuid, uuid};

/// Class GUID of group 0x00, EventTrace (the logfile header and other session records).
pub const EVENT_TRACE: Uuid = uuid!("68fdd900-4a3e-11d1-84f4-0000f80464e3");
/// Class GUID of group 0x03, Process.
pub const PROCESS: Uuid = uuid!("3d6fa8d0-fe05-11d0-9dda-00c04fd7ba7c");
/// Class GUID of group 0x05, Thread.
pub const THREAD: Uuid = uuid!("3d6fa8d1-fe05-11d0-9dda-00c04fd7ba7c");
/// Class GUID of group 0x14, Image (also reported for Process hook 0x030A).
pub const IMAGE: Uuid = uuid!("2cb15d1d-5fc1-11d2-abe1-00a0c911f518");

/// (group, name, class GUID)
pub const GROUPS: [(u8, &str, Uuid); 31] = [
    (0x00, "EventTrace", EVENT_TRACE),
    (
        0x01,
        "DiskIo",
        uuid!("3d6fa8d4-fe05-11d0-9dda-00c04fd7ba7c"),
    ),
    (
        0x02,
        "PageFault",
        uuid!("3d6fa8d3-fe05-11d0-9dda-00c04fd7ba7c"),
    ),
    (0x03, "Process", PROCESS),
    (
        0x04,
        "FileIo",
        uuid!("90cbdc39-4a3e-11d1-84f4-0000f80464e3"),
    ),
    (0x05, "Thread", THREAD),
    (0x06, "TcpIp", uuid!("9a280ac0-c8e0-11d1-84e2-00c04fb998a2")),
    (0x07, "Job", uuid!("3282fc76-feed-498e-8aa7-e70f459d430e")),
    (0x08, "UdpIp", uuid!("bf3a50c5-a9c9-4988-a005-2df0b7c80f80")),
    (
        0x09,
        "Registry",
        uuid!("ae53722e-c863-11d2-8659-00c04fa321a1"),
    ),
    (
        0x0A,
        "DbgPrint",
        uuid!("13976d09-a327-438c-950b-7f03192815c7"),
    ),
    (
        0x0B,
        "SystemConfig",
        uuid!("01853a65-418f-4f36-aefc-dc0f1d2fd235"),
    ),
    (
        0x0C,
        "Spare1",
        uuid!("99134383-5248-43fc-834b-529454e75df3"),
    ),
    (0x0D, "Wnf", uuid!("42695762-ea50-497a-9068-5cbbb35e0b95")),
    (0x0E, "Pool", uuid!("0268a8b6-74fd-4302-9dd0-6e8f1795c0cf")),
    (
        0x0F,
        "PerfInfo",
        uuid!("ce1dbfb4-137e-4da6-87b0-3f59aa102cbc"),
    ),
    (0x10, "Heap", uuid!("222962ab-6180-4b88-a825-346b75f2a24a")),
    (
        0x11,
        "Object",
        uuid!("89497f50-effe-4440-8cf2-ce6b1cdcaca7"),
    ),
    (0x12, "Power", uuid!("e43445e0-0903-48c3-b878-ff0fccebdd04")),
    (
        0x13,
        "ModBound",
        uuid!("a9152f00-3f58-4bee-92a1-70c7d079d5dd"),
    ),
    (0x14, "Image", IMAGE),
    (0x15, "Dpc", uuid!("b2d14872-7c5b-463d-8419-ee9bf7d23e04")),
    (0x16, "Cc", uuid!("7687a439-f752-45b8-b741-321aec0f8df9")),
    (
        0x17,
        "CritSec",
        uuid!("3ac66736-cc59-4cff-8115-8df50e39816b"),
    ),
    (
        0x18,
        "StackWalk",
        uuid!("def2fe46-7bd6-4b80-bd94-f57fe20d0ce3"),
    ),
    (0x19, "Ums", uuid!("9aec974b-5b8e-4118-9b92-3186d8002ce5")),
    (0x1A, "Alpc", uuid!("45d8cccd-539f-4b72-a8b7-5c683142609a")),
    (
        0x1B,
        "SplitIo",
        uuid!("d837ca92-12b9-44a5-ad6a-3a65b3578aa8"),
    ),
    (
        0x1C,
        "ThreadPool",
        uuid!("c861d0e2-a2c1-4d36-9f9c-970bab943a12"),
    ),
    (
        0x1D,
        "Hypervisor",
        uuid!("7f2a405c-69b5-4bf9-a1f5-30e8f1afab5e"),
    ),
    (
        0x1E,
        "HypervisorX",
        uuid!("2ce9a149-effe-42f0-a635-a1d39e26c8f2"),
    ),
];

/// Class GUID of a kernel group.
pub fn class_guid(group: u8) -> Option<Uuid> {
    GROUPS.get(usize::from(group)).map(|g| g.2)
}

/// Name of a kernel group ("Process", "Image", ...).
pub fn group_name(group: u8) -> Option<&'static str> {
    GROUPS.get(usize::from(group)).map(|g| g.1)
}

/// Name of a provider key when the reader alone knows it: `group:0xNN` keys of kernel
/// groups read as `Kernel Process`, `Kernel Image`, ...
pub fn provider_name_of_key(key: &str) -> Option<String> {
    let group = key.strip_prefix("group:0x")?;
    let group = u8::from_str_radix(group, 16).ok()?;
    group_name(group).map(|n| format!("Kernel {n}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_indexed_by_group() {
        for (i, g) in GROUPS.iter().enumerate() {
            assert_eq!(usize::from(g.0), i);
        }
        assert_eq!(class_guid(0x14), Some(IMAGE));
        assert_eq!(group_name(0x18), Some("StackWalk"));
        assert_eq!(class_guid(0x40), None);
    }
}
