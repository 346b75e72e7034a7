//! TMF argument item types (`ItemLong`, `ItemWString`, `ItemListByte(a,b)`, ...) as named on
//! the `name, ItemXxx -- N` lines, and what each one means.

use crate::manifest::types::parse_number;

/// The logged type of one argument, from the `name, ItemXxx -- N` lines of a TMF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemType {
    /// Signed integer of `width` bytes (ItemChar 1, ItemShort 2, ItemLong 4, ItemLongLong 8
    /// and its ItemLongLongX/XX/O default-format flavours).
    Signed {
        width: u8,
    },
    /// Unsigned integer of `width` bytes (ItemUChar, ItemUShort, ItemULong, ItemULongLong).
    Unsigned {
        width: u8,
    },
    /// Pointer-sized integer (ItemPtr).
    Ptr,
    /// IEEE double (ItemDouble).
    Double,
    /// NUL-terminated ANSI string (ItemString, ItemRString).
    String,
    /// NUL-terminated UTF-16LE string (ItemWString, ItemRWString).
    WString,
    /// u16 byte count then ANSI bytes (ItemPString, for `ANSI_STRING`/`STRING`).
    PString,
    /// u16 byte count then UTF-16LE bytes (ItemPWString, for `UNICODE_STRING`).
    PWString,
    /// 16-byte GUID (ItemGuid, ItemCLSID, ItemIID, ItemLIBID).
    Guid,
    NtStatus,
    HResult,
    WinError,
    /// IPv4 address, 4 bytes in network order (ItemIPAddr).
    IpAddr,
    /// Port, u16 in network order (ItemPort).
    Port,
    /// Four characters packed in a u32 (ItemChar4).
    Char4,
    /// FILETIME, 100-ns units since 1601 (ItemTimestamp).
    Timestamp,
    /// Signed 100-ns interval (ItemTimeDelta, ItemWaitTime).
    TimeDelta,
    /// Binary SID (ItemSid); WPP logs the 5 bytes `NULL\0` for a missing SID.
    Sid,
    /// u16 byte count then raw bytes (ItemHEXDump).
    HexDump,
    /// `ItemListByte/Short/Long(a,b,c)`: a value of `width` bytes naming one entry.
    List {
        width: u8,
        names: Vec<(u64, String)>,
    },
    /// `ItemSetByte/Short/Long(a,b,c)`: bit flags of `width` bytes, entry i naming bit i.
    Set {
        width: u8,
        names: Vec<String>,
    },
    /// `ItemEnum(Type)`: a 4-byte C enum; rendered numerically (TMF carries no names).
    Enum(String),
    /// Anything else, spelled as in the file; decoding stops at it.
    Unknown(String),
}

impl ItemType {
    /// Parses the item type text of an argument line (`ItemLong`, `ItemListByte(a, b)`).
    pub fn parse(text: &str) -> ItemType {
        let text = text.trim();
        let (name, list) = match text.split_once('(') {
            Some((name, rest)) => (name.trim_end(), rest.trim_end().strip_suffix(')')),
            None => (text, None),
        };
        let simple = match name {
            "ItemChar" => Some(ItemType::Signed { width: 1 }),
            "ItemUChar" => Some(ItemType::Unsigned { width: 1 }),
            "ItemShort" => Some(ItemType::Signed { width: 2 }),
            "ItemUShort" => Some(ItemType::Unsigned { width: 2 }),
            "ItemLong" => Some(ItemType::Signed { width: 4 }),
            "ItemULong" => Some(ItemType::Unsigned { width: 4 }),
            "ItemLongLong" | "ItemLongLongX" | "ItemLongLongXX" | "ItemLongLongO" => {
                Some(ItemType::Signed { width: 8 })
            }
            "ItemULongLong" => Some(ItemType::Unsigned { width: 8 }),
            "ItemPtr" => Some(ItemType::Ptr),
            "ItemDouble" => Some(ItemType::Double),
            "ItemString" | "ItemRString" => Some(ItemType::String),
            "ItemWString" | "ItemRWString" => Some(ItemType::WString),
            "ItemPString" => Some(ItemType::PString),
            "ItemPWString" => Some(ItemType::PWString),
            "ItemGuid" | "ItemCLSID" | "ItemIID" | "ItemLIBID" => Some(ItemType::Guid),
            "ItemNTSTATUS" => Some(ItemType::NtStatus),
            "ItemHRESULT" => Some(ItemType::HResult),
            "ItemWINERROR" => Some(ItemType::WinError),
            "ItemIPAddr" => Some(ItemType::IpAddr),
            "ItemPort" => Some(ItemType::Port),
            "ItemChar4" => Some(ItemType::Char4),
            "ItemTimestamp" => Some(ItemType::Timestamp),
            "ItemTimeDelta" | "ItemWaitTime" => Some(ItemType::TimeDelta),
            "ItemSid" => Some(ItemType::Sid),
            _ if name.eq_ignore_ascii_case("ItemHEXDump") => Some(ItemType::HexDump),
            _ => None,
        };
        match (simple, list) {
            (Some(item), None) => return item,
            (Some(_), Some(_)) => return ItemType::Unknown(text.to_string()),
            (None, _) => {}
        }
        let width = match name {
            "ItemListByte" | "ItemSetByte" => 1,
            "ItemListShort" | "ItemSetShort" => 2,
            "ItemListLong" | "ItemSetLong" => 4,
            "ItemEnum" => 4,
            _ => return ItemType::Unknown(text.to_string()),
        };
        let Some(list) = list else {
            return ItemType::Unknown(text.to_string());
        };
        if name == "ItemEnum" {
            ItemType::Enum(list.trim().to_string())
        } else if name.starts_with("ItemSet") {
            let names = list.split(',').map(|n| n.trim().to_string()).collect();
            ItemType::Set { width, names }
        } else {
            match parse_list_names(list) {
                Some(names) => ItemType::List { width, names },
                None => ItemType::Unknown(text.to_string()),
            }
        }
    }

    /// A short name for messages (`ItemLong`, `ItemListByte`, or the unknown text).
    pub fn label(&self) -> String {
        let name = match self {
            ItemType::Signed { width: 1 } => "ItemChar",
            ItemType::Signed { width: 2 } => "ItemShort",
            ItemType::Signed { width: 4 } => "ItemLong",
            ItemType::Signed { .. } => "ItemLongLong",
            ItemType::Unsigned { width: 1 } => "ItemUChar",
            ItemType::Unsigned { width: 2 } => "ItemUShort",
            ItemType::Unsigned { width: 4 } => "ItemULong",
            ItemType::Unsigned { .. } => "ItemULongLong",
            ItemType::Ptr => "ItemPtr",
            ItemType::Double => "ItemDouble",
            ItemType::String => "ItemString",
            ItemType::WString => "ItemWString",
            ItemType::PString => "ItemPString",
            ItemType::PWString => "ItemPWString",
            ItemType::Guid => "ItemGuid",
            ItemType::NtStatus => "ItemNTSTATUS",
            ItemType::HResult => "ItemHRESULT",
            ItemType::WinError => "ItemWINERROR",
            ItemType::IpAddr => "ItemIPAddr",
            ItemType::Port => "ItemPort",
            ItemType::Char4 => "ItemChar4",
            ItemType::Timestamp => "ItemTimestamp",
            ItemType::TimeDelta => "ItemTimeDelta",
            ItemType::Sid => "ItemSid",
            ItemType::HexDump => "ItemHEXDump",
            ItemType::List { width: 1, .. } => "ItemListByte",
            ItemType::List { width: 2, .. } => "ItemListShort",
            ItemType::List { .. } => "ItemListLong",
            ItemType::Set { width: 1, .. } => "ItemSetByte",
            ItemType::Set { width: 2, .. } => "ItemSetShort",
            ItemType::Set { .. } => "ItemSetLong",
            ItemType::Enum(name) => return format!("ItemEnum({name})"),
            ItemType::Unknown(text) => return text.clone(),
        };
        name.to_string()
    }
}

/// `a,b,c` numbers entries from 0; `a=5,b` starts again from an explicit value.
fn parse_list_names(list: &str) -> Option<Vec<(u64, String)>> {
    let mut next = 0u64;
    let mut names = Vec::new();
    for entry in list.split(',') {
        let (name, value) = match entry.split_once('=') {
            Some((name, value)) => (name, parse_number(value)?),
            None => (entry, next),
        };
        names.push((value, name.trim().to_string()));
        next = value.wrapping_add(1);
    }
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_simple_and_parameterised_item_names() {
        assert_eq!(ItemType::parse("ItemLong"), ItemType::Signed { width: 4 });
        assert_eq!(
            ItemType::parse("ItemULongLong"),
            ItemType::Unsigned { width: 8 }
        );
        assert_eq!(ItemType::parse("ItemRWString"), ItemType::WString);
        assert_eq!(ItemType::parse("ItemHexDump"), ItemType::HexDump);
        assert_eq!(
            ItemType::parse("ItemListByte(FALSE, TRUE)"),
            ItemType::List {
                width: 1,
                names: vec![(0, "FALSE".into()), (1, "TRUE".into())]
            }
        );
        assert_eq!(
            ItemType::parse("ItemListLong(Idle,Busy=0x10,Gone)"),
            ItemType::List {
                width: 4,
                names: vec![(0, "Idle".into()), (16, "Busy".into()), (17, "Gone".into())]
            }
        );
        assert_eq!(
            ItemType::parse("ItemEnum(_POOL_TYPE)"),
            ItemType::Enum("_POOL_TYPE".into())
        );
        assert_eq!(
            ItemType::parse("ItemFancy"),
            ItemType::Unknown("ItemFancy".into())
        );
        assert_eq!(
            ItemType::parse("ItemListLong"),
            ItemType::Unknown("ItemListLong".into())
        );
        assert_eq!(ItemType::parse("ItemSetShort(a,b)").label(), "ItemSetShort");
    }
}
