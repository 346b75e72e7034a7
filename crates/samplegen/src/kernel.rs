//! The kernel rundown a merged netsh trace carries so that process ids resolve to names:
//! classic Process, Thread and Image "DCStart" records (format doc §8e) for the processes of an
//! IIS ARR server running Windows Server 2019.

use super::payload::Payload;

/// HookIds (`group << 8 | type`) of the rundown records.
pub const PROCESS_DC_START: u16 = 0x0303;
pub const THREAD_DC_START: u16 = 0x0503;
pub const IMAGE_DC_START: u16 = 0x1403;
/// MOF class versions written by build 17763.
pub const PROCESS_VERSION: u8 = 4;
pub const THREAD_VERSION: u8 = 3;
pub const IMAGE_VERSION: u8 = 3;

pub const SYSTEM_PID: u32 = 4;
pub const W3WP_PID: u32 = 1432;
/// The svchost that runs the DNS client (NetworkService group).
pub const DNSCACHE_PID: u32 = 1264;
pub const NETSH_PID: u32 = 4820;

/// The identity a process runs as.
#[derive(Debug, Clone, Copy)]
pub enum Account {
    /// No SID recorded (the Idle process).
    None,
    /// S-1-5-18
    LocalSystem,
    /// S-1-5-20
    NetworkService,
    /// IIS APPPOOL\DefaultAppPool (S-1-5-82-...).
    DefaultAppPool,
    /// The administrator who ran netsh (S-1-5-21-...-500).
    Administrator,
}

impl Account {
    fn sub_authorities(self) -> &'static [u32] {
        match self {
            Account::None => &[],
            Account::LocalSystem => &[18],
            Account::NetworkService => &[20],
            Account::DefaultAppPool => {
                &[82, 3006700770, 424185619, 1745488364, 794895919, 4004696415]
            }
            Account::Administrator => &[21, 1004336348, 1177238915, 682003330, 500],
        }
    }
}

/// One running process.
#[derive(Debug)]
pub struct ProcessInfo {
    pub pid: u32,
    pub parent: u32,
    pub session: u32,
    pub image: &'static str,
    pub command_line: &'static str,
    pub account: Account,
}

const fn process(
    pid: u32,
    parent: u32,
    session: u32,
    image: &'static str,
    command_line: &'static str,
    account: Account,
) -> ProcessInfo {
    ProcessInfo {
        pid,
        parent,
        session,
        image,
        command_line,
        account,
    }
}

/// The processes of the server, in rundown order.
pub static PROCESSES: &[ProcessInfo] = &[
    process(0, 0, 0xFFFF_FFFF, "Idle", "", Account::None),
    process(4, 0, 0xFFFF_FFFF, "System", "", Account::LocalSystem),
    process(88, 4, 0xFFFF_FFFF, "Registry", "", Account::LocalSystem),
    process(
        312,
        4,
        0xFFFF_FFFF,
        "smss.exe",
        r"\SystemRoot\System32\smss.exe",
        Account::LocalSystem,
    ),
    process(
        420,
        408,
        0,
        "csrss.exe",
        concat!(
            r"%SystemRoot%\system32\csrss.exe ObjectDirectory=\Windows ",
            "SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ",
            "ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ",
            "ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16"
        ),
        Account::LocalSystem,
    ),
    process(
        496,
        408,
        0,
        "wininit.exe",
        "wininit.exe",
        Account::LocalSystem,
    ),
    process(
        604,
        496,
        0,
        "services.exe",
        r"C:\Windows\system32\services.exe",
        Account::LocalSystem,
    ),
    process(
        628,
        496,
        0,
        "lsass.exe",
        r"C:\Windows\system32\lsass.exe",
        Account::LocalSystem,
    ),
    process(
        776,
        604,
        0,
        "svchost.exe",
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        Account::LocalSystem,
    ),
    process(
        1052,
        604,
        0,
        "svchost.exe",
        r"C:\Windows\system32\svchost.exe -k netsvcs -p",
        Account::LocalSystem,
    ),
    process(
        DNSCACHE_PID,
        604,
        0,
        "svchost.exe",
        r"C:\Windows\System32\svchost.exe -k NetworkService -p",
        Account::NetworkService,
    ),
    process(
        2012,
        604,
        0,
        "svchost.exe",
        r"C:\Windows\system32\svchost.exe -k iissvcs",
        Account::LocalSystem,
    ),
    process(
        W3WP_PID,
        2012,
        0,
        "w3wp.exe",
        concat!(
            r#"c:\windows\system32\inetsrv\w3wp.exe -ap "DefaultAppPool" -v "v4.0" "#,
            r#"-l "webengine4.dll" -a \\.\pipe\iisipm5b3e2f2c-8d4b-4c5e-a1f0-3c2d7e9b1a44 "#,
            r#"-h "C:\inetpub\temp\apppools\DefaultAppPool\DefaultAppPool.config" "#,
            r#"-w "" -m 0 -t 20 -ta 0"#
        ),
        Account::DefaultAppPool,
    ),
    process(
        3716,
        3652,
        2,
        "explorer.exe",
        r"C:\Windows\Explorer.EXE",
        Account::Administrator,
    ),
    process(
        4232,
        3716,
        2,
        "cmd.exe",
        r#""C:\Windows\system32\cmd.exe" "#,
        Account::Administrator,
    ),
    process(
        NETSH_PID,
        4232,
        2,
        "netsh.exe",
        "netsh  trace start scenario=internetclient capture=yes",
        Account::Administrator,
    ),
];

/// Threads named in the trace: (process id, thread id).
pub static THREADS: &[(u32, u32)] = &[
    (SYSTEM_PID, 172),
    (SYSTEM_PID, 7740),
    (1052, 3380),
    (DNSCACHE_PID, 2588),
    (W3WP_PID, 2216),
    (W3WP_PID, 3308),
    (W3WP_PID, 4412),
    (W3WP_PID, 5124),
    (NETSH_PID, 4836),
];

/// Modules of w3wp.exe worth naming: (path, base, size).
pub static W3WP_IMAGES: &[(&str, u64, u64)] = &[
    (
        r"\Device\HarddiskVolume2\Windows\System32\inetsrv\w3wp.exe",
        0x7FF6_A2B0_0000,
        0x7000,
    ),
    (
        r"\Device\HarddiskVolume2\Windows\System32\ntdll.dll",
        0x7FFD_4C8E_0000,
        0x1E_D000,
    ),
    (
        r"\Device\HarddiskVolume2\Windows\System32\winhttp.dll",
        0x7FFD_3F3C_0000,
        0x10_9000,
    ),
    (
        r"\Device\HarddiskVolume2\Windows\System32\webio.dll",
        0x7FFD_3EE0_0000,
        0x8_4000,
    ),
    (
        r"\Device\HarddiskVolume2\Windows\System32\inetsrv\iiscore.dll",
        0x7FFD_3A90_0000,
        0x9_8000,
    ),
    (
        r"\Device\HarddiskVolume2\Program Files\IIS\Application Request Routing\requestRouter.dll",
        0x7FFD_3170_0000,
        0x6_E000,
    ),
];

/// Kernel address of the EPROCESS (UniqueProcessKey) for a pid.
fn process_key(pid: u32) -> u64 {
    0xFFFF_B30C_5000_0080 + u64::from(pid) * 0x1_0C40
}

/// Process DCStart, version 4 layout (§8e).
pub fn process_payload(p: &ProcessInfo) -> Vec<u8> {
    let payload = Payload::new()
        .ptr(process_key(p.pid))
        .u32(p.pid)
        .u32(p.parent)
        .u32(p.session)
        .i32(if p.pid == 0 { 0 } else { 259 }) // STATUS_PENDING: still running
        .ptr(0x1_AD00_0000 + u64::from(p.pid) * 0x2000)
        .u32(0); // Flags
    let payload = with_sid(payload, p.account, p.pid);
    payload
        .ansi(p.image)
        .utf16(p.command_line)
        .utf16("") // PackageFullName
        .utf16("") // ApplicationId
        .into_bytes()
}

/// WBEMSID: a TOKEN_USER (SID pointer + attributes, 16 bytes on x64) then the SID; a lone
/// zero u32 when there is none.
fn with_sid(payload: Payload, account: Account, pid: u32) -> Payload {
    let sub = account.sub_authorities();
    if sub.is_empty() {
        return payload.u32(0);
    }
    let mut payload = payload
        .ptr(0xFFFF_C60F_2D40_0000 + u64::from(pid) * 0x70)
        .u32(0)
        .u32(0)
        .u8(1)
        .u8(sub.len() as u8)
        .bytes(&[0, 0, 0, 0, 0, 5]); // NT authority
    for value in sub {
        payload = payload.u32(*value);
    }
    payload
}

/// Thread DCStart, version 3 layout.
pub fn thread_payload(pid: u32, tid: u32) -> Vec<u8> {
    let stack = 0xFFFF_F08A_1C40_0000 + u64::from(tid) * 0x6000;
    let user_mode = pid != 0 && pid != SYSTEM_PID;
    let (user_base, teb) = if user_mode {
        (
            0x0000_00A0_3F20_0000 + u64::from(tid) * 0x10_0000,
            0x0000_00A0_3E80_0000 + u64::from(tid) * 0x2000,
        )
    } else {
        (0, 0)
    };
    Payload::new()
        .u32(pid)
        .u32(tid)
        .ptr(stack)
        .ptr(stack - 0x6000)
        .ptr(user_base)
        .ptr(user_base.saturating_sub(if user_mode { 0x8_0000 } else { 0 }))
        .ptr(0xF) // affinity: all four processors
        .ptr(0x7FFD_4C93_2D30) // ntdll!TppWorkerThread
        .ptr(teb)
        .u32(0) // SubProcessTag
        .u8(8) // BasePriority
        .u8(5) // PagePriority
        .u8(2) // IoPriority
        .u8(0) // ThreadFlags
        .utf16("") // ThreadName
        .into_bytes()
}

/// Image DCStart, version 3 layout.
pub fn image_payload(pid: u32, path: &str, base: u64, size: u64) -> Vec<u8> {
    let checksum = (base >> 12) as u32 ^ size as u32;
    Payload::new()
        .ptr(base)
        .ptr(size)
        .u32(pid)
        .u32(checksum)
        .u32(0x5B9C_1E40) // TimeDateStamp (2018-09-14, RS5 RTM)
        .u8(12) // SignatureLevel: Windows
        .u8(1) // SignatureType: embedded
        .u16(0)
        .ptr(base)
        .u32(0)
        .u32(0)
        .u32(0)
        .u32(0)
        .utf16(path)
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w3wp_rundown_has_name_command_line_and_app_pool_sid() {
        let w3wp = PROCESSES.iter().find(|p| p.pid == W3WP_PID).unwrap();
        let bytes = process_payload(w3wp);
        assert_eq!(&bytes[8..12], &W3WP_PID.to_le_bytes());
        assert_eq!(&bytes[12..16], &2012u32.to_le_bytes());
        // Flags at 2P+16 = 32; the TOKEN_USER starts at 36 and the SID at 52.
        let sid = &bytes[52..52 + 8 + 4 * 6];
        assert_eq!(&sid[..8], &[1, 6, 0, 0, 0, 0, 0, 5]);
        assert_eq!(&sid[8..12], &82u32.to_le_bytes());
        let name_at = 52 + sid.len();
        assert_eq!(&bytes[name_at..name_at + 9], b"w3wp.exe\0");
        let rest: Vec<u16> = bytes[name_at + 9..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let text = String::from_utf16(&rest).unwrap();
        assert!(text.starts_with(r"c:\windows\system32\inetsrv\w3wp.exe -ap "));
        assert!(text.ends_with("\0\0\0"), "command line, package, app id");
    }

    #[test]
    fn idle_has_no_sid() {
        let bytes = process_payload(&PROCESSES[0]);
        assert_eq!(&bytes[36..40], &[0, 0, 0, 0]);
        assert_eq!(&bytes[40..45], b"Idle\0");
    }

    #[test]
    fn image_file_name_is_at_56() {
        let (path, base, size) = W3WP_IMAGES[2];
        let bytes = image_payload(W3WP_PID, path, base, size);
        assert_eq!(&bytes[16..20], &W3WP_PID.to_le_bytes());
        let name: Vec<u16> = bytes[56..]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(String::from_utf16(&name).unwrap(), format!("{path}\0"));
    }

    #[test]
    fn thread_payload_starts_with_pid_and_tid() {
        let bytes = thread_payload(W3WP_PID, 2216);
        assert_eq!(&bytes[..8], &[0x98, 5, 0, 0, 0xA8, 8, 0, 0]);
        assert_eq!(bytes.len(), 8 + 7 * 8 + 4 + 4 + 2);
    }
}
