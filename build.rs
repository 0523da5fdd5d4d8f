//! Writes the generated halves of the C and Fortran interfaces. Nothing here writes into the
//! source tree; `tests/header.rs` compares the checked-in `include/` copies with `OUT_DIR`'s.
//!
//! * `OUT_DIR/abi_gen/<chapter>.rs`, one per `src/abi/<chapter>.rs`, included at the end of that
//!   file: for every `#[unsafe(no_mangle)] pub unsafe extern "C" fn MPI_X` (or `FTMPI_X`) written
//!   there, the `PMPI_X` twin (the same signature and body, so it never goes through the
//!   interposable `MPI_X` symbol) and the Fortran 77 bindings in four spellings (`mpi_x_`,
//!   `mpi_x__`, `mpi_x`, `MPI_X`) that call `PMPI_X` (`FTMPI_X` itself, which has no twin).
//! * `OUT_DIR/abi_gen/fortran_<file>.rs`, one per `src/abi/fortran/<file>.rs`: the three other
//!   spellings of every hand-written `mpi_x_` there.
//! * `OUT_DIR/mpi.h`: types and constants printed from `src/abi/types.rs` and `consts.rs`,
//!   prototypes from cbindgen, then a `PMPI_` copy of each prototype and MPICH's extras.
//! * `OUT_DIR/mpif.h`: a `PARAMETER` per constant of `consts.rs`, plus the Fortran-only names.
//! * Copies of both headers in `target/<profile>/include/`, and `libmpi.so.12`, `libmpich.so.12`
//!   and `libmpichfort.so.12` links to `libmpi.so` in `target/<profile>/` and its `deps/`.
//!
//! When the Fortran binding cannot be derived from the C signature (strings, callbacks,
//! `argc`/`argv`, `void *` that is not a message buffer, MPI-1's INTEGER addresses), nothing is
//! generated and the binding is written by hand in `src/abi/fortran/manual.rs`; a doc line
//! `fortran: manual` or `fortran: none` on the C function says so explicitly, and
//! `tests/symbols.rs` catches a binding that is missing.

use std::collections::{BTreeMap, BTreeSet};
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use quote::ToTokens;

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let abi_dir = manifest_dir.join("src/abi");

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=src/abi");
    println!("cargo:rerun-if-changed=include/ft-mpi-modes.h");
    // Programs built against MPICH look for libmpi.so.12.
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmpi.so.12");

    let gen_dir = out_dir.join("abi_gen");
    fs::create_dir_all(&gen_dir).expect("create OUT_DIR/abi_gen");

    let fortran = FortranManual::load(&abi_dir.join("fortran"));
    let chapters = load_chapters(&abi_dir);
    let c_names: BTreeSet<String> = chapters.iter().flat_map(|c| c.fns.iter().map(|f| f.name.clone())).collect();
    for chapter in &chapters {
        write_if_changed(&gen_dir.join(format!("{}.rs", chapter.stem)), &chapter_gen(chapter, &fortran));
    }
    for (stem, fns) in &fortran.files {
        write_if_changed(&gen_dir.join(format!("fortran_{stem}.rs")), &fortran_aliases(fns, &c_names));
    }

    let consts = parse_consts(&abi_dir.join("consts.rs"));
    let types = read(&abi_dir.join("types.rs"));
    let mpi_h = mpi_h(&manifest_dir, &abi_dir, &consts, &types, &fortran);
    let mpif_h = mpif_h(&consts);
    write_if_changed(&out_dir.join("mpi.h"), &mpi_h);
    write_if_changed(&out_dir.join("mpif.h"), &mpif_h);

    install_into_profile_dir(&out_dir, &mpi_h, &mpif_h);
}

// =============================================================================================
// Tables that are not derivable from the Rust definitions. Edit here.

/// Constants that exist only in Fortran's mpif.h (`consts.rs` holds the C ones).
const FORTRAN_ONLY: &[(&str, i64)] = &[
    ("MPI_STATUS_SIZE", 5),
    ("MPI_SOURCE", 3),
    ("MPI_TAG", 4),
    ("MPI_ERROR", 5),
    ("MPI_ADDRESS_KIND", 8),
    ("MPI_OFFSET_KIND", 8),
    ("MPI_COUNT_KIND", 8),
    ("MPI_INTEGER_KIND", 4),
];

/// Constants of `consts.rs` that mpif.h leaves out: they index a Fortran status from C.
const C_ONLY: &[&str] = &["MPI_F_STATUS_SIZE", "MPI_F_SOURCE", "MPI_F_TAG", "MPI_F_ERROR"];

/// String lengths: C counts the terminating NUL, Fortran does not (MPICH's mpif.h).
const FORTRAN_MINUS_ONE: &[&str] = &[
    "MPI_MAX_PROCESSOR_NAME",
    "MPI_MAX_LIBRARY_VERSION_STRING",
    "MPI_MAX_ERROR_STRING",
    "MPI_MAX_PORT_NAME",
    "MPI_MAX_OBJECT_NAME",
    "MPI_MAX_INFO_KEY",
    "MPI_MAX_INFO_VAL",
];

/// Predefined attribute keys: Fortran's key is the C key plus one, which tells MPI_ATTR_GET to
/// return the value itself rather than a pointer to it (MPICH's convention).
const FORTRAN_PLUS_ONE: &[&str] = &[
    "MPI_TAG_UB",
    "MPI_HOST",
    "MPI_IO",
    "MPI_WTIME_IS_GLOBAL",
    "MPI_UNIVERSE_SIZE",
    "MPI_LASTUSEDCODE",
    "MPI_APPNUM",
    "FT_MPI_COM_NUM_FAILED",
    "FT_MPI_COM_FAILED",
    "FT_MPI_LIST_NUM_FAILED",
    "FT_MPI_LIST_FAILED",
    "FTMPI_COMM_MODE",
    "FTMPI_MSG_MODE",
    "FTMPI_COMM_STATE",
    "FTMPI_COLL_MODE",
];

/// mpif.h declarations after the PARAMETERs: the sentinels live in MPICH's common blocks (the
/// library finds them with dlsym, see src/abi/fortran/mod.rs), and the predefined callbacks
/// and the timer functions are external procedures.
const MPIF_TAIL: &[&str] = &[
    "INTEGER MPI_BOTTOM, MPI_IN_PLACE",
    "INTEGER MPI_STATUS_IGNORE(MPI_STATUS_SIZE)",
    "INTEGER MPI_STATUSES_IGNORE(MPI_STATUS_SIZE,1)",
    "INTEGER MPI_ERRCODES_IGNORE(1)",
    "COMMON /MPIPRIV1/ MPI_BOTTOM, MPI_IN_PLACE, MPI_STATUS_IGNORE",
    "COMMON /MPIPRIV2/ MPI_STATUSES_IGNORE, MPI_ERRCODES_IGNORE",
    "SAVE /MPIPRIV1/, /MPIPRIV2/",
    "EXTERNAL MPI_NULL_COPY_FN, MPI_NULL_DELETE_FN, MPI_DUP_FN",
    "EXTERNAL MPI_COMM_NULL_COPY_FN, MPI_COMM_NULL_DELETE_FN",
    "EXTERNAL MPI_COMM_DUP_FN",
    "DOUBLE PRECISION MPI_WTIME, MPI_WTICK",
    "EXTERNAL MPI_WTIME, MPI_WTICK",
];

/// mpi.h text right after the typedefs: constants whose value is a pointer.
const MPI_H_POINTER_CONSTANTS: &str = "\
#define MPI_BOTTOM ((void *)0)
#define MPI_IN_PLACE ((void *)-1)
#define MPI_STATUS_IGNORE ((MPI_Status *)1)
#define MPI_STATUSES_IGNORE ((MPI_Status *)1)
#define MPI_ERRCODES_IGNORE ((int *)0)
#define MPI_ARGV_NULL ((char **)0)
#define MPI_ARGVS_NULL ((char ***)0)
#define MPI_FILE_NULL ((MPI_File)0)
";

/// The predefined attribute callbacks, declared as functions the library exports (unless a
/// chapter already declares them, in which case cbindgen has printed the prototype).
const MPI_H_CALLBACKS: &[(&str, &str)] = &[
    ("MPI_NULL_COPY_FN", "int MPI_NULL_COPY_FN(MPI_Comm oldcomm, int keyval, void *extra_state, void *attribute_val_in, void *attribute_val_out, int *flag);"),
    ("MPI_NULL_DELETE_FN", "int MPI_NULL_DELETE_FN(MPI_Comm comm, int keyval, void *attribute_val, void *extra_state);"),
    ("MPI_DUP_FN", "int MPI_DUP_FN(MPI_Comm oldcomm, int keyval, void *extra_state, void *attribute_val_in, void *attribute_val_out, int *flag);"),
    ("MPI_COMM_NULL_COPY_FN", "int MPI_COMM_NULL_COPY_FN(MPI_Comm oldcomm, int comm_keyval, void *extra_state, void *attribute_val_in, void *attribute_val_out, int *flag);"),
    ("MPI_COMM_NULL_DELETE_FN", "int MPI_COMM_NULL_DELETE_FN(MPI_Comm comm, int comm_keyval, void *attribute_val, void *extra_state);"),
    ("MPI_COMM_DUP_FN", "int MPI_COMM_DUP_FN(MPI_Comm oldcomm, int comm_keyval, void *extra_state, void *attribute_val_in, void *attribute_val_out, int *flag);"),
];

/// Handle conversions are the identity with MPICH's int handles; mpi.h makes them macros, as
/// MPICH does, unless a chapter defines the function (then the macro would break its prototype).
const MPI_H_CONVERSIONS: &[(&str, &str)] = &[
    ("Comm", "MPI_Comm"),
    ("Type", "MPI_Datatype"),
    ("Group", "MPI_Group"),
    ("Request", "MPI_Request"),
    ("Op", "MPI_Op"),
    ("Errhandler", "MPI_Errhandler"),
    ("Info", "MPI_Info"),
    ("Win", "MPI_Win"),
];

/// Types printed by hand: MPICH's MPI_File is a pointer to ROMIO's struct, which Rust cannot
/// name; and the error handler typedefs are variadic in C.
const TYPE_OVERRIDES: &[(&str, &str)] = &[("MPI_File", "typedef struct ADIOI_FileD *MPI_File;")];
const VARIADIC_TYPEDEFS: &[&str] = &["MPI_Handler_function"];

// =============================================================================================
// Chapters: PMPI twins and generated Fortran bindings

struct Chapter {
    stem: String,
    src: String,
    /// `code_mask(src)`.
    code: Vec<bool>,
    fns: Vec<CFn>,
}

struct CFn {
    name: String,
    item: syn::ItemFn,
    /// `fortran: manual` or `fortran: none` in the doc comment.
    fortran_opt_out: bool,
}

fn load_chapters(abi_dir: &Path) -> Vec<Chapter> {
    let mut chapters = Vec::new();
    let mut entries: Vec<PathBuf> = fs::read_dir(abi_dir)
        .expect("read src/abi")
        .map(|e| e.expect("read src/abi entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    entries.sort();
    for path in entries {
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let src = read(&path);
        let file = syn::parse_file(&src).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let fns = file
            .items
            .into_iter()
            .filter_map(|item| match item {
                syn::Item::Fn(f) => Some(f),
                _ => None,
            })
            .filter(|f| is_no_mangle(&f.attrs) && f.sig.abi.is_some())
            .filter_map(|f| {
                let name = f.sig.ident.to_string();
                if !(name.starts_with("MPI_") || name.starts_with("FTMPI_")) {
                    return None;
                }
                let fortran_opt_out = doc_lines(&f.attrs)
                    .iter()
                    .any(|l| matches!(l.trim(), "fortran: manual" | "fortran: none"));
                Some(CFn { name, item: f, fortran_opt_out })
            })
            .collect();
        let code = code_mask(src.as_bytes());
        chapters.push(Chapter { stem, src, code, fns });
    }
    chapters
}

fn chapter_gen(chapter: &Chapter, fortran: &FortranManual) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Generated by build.rs from src/abi/{}.rs: PMPI_ twins and Fortran 77 bindings.\n",
        chapter.stem
    );
    for f in &chapter.fns {
        let is_predefined_callback = is_all_caps(&f.name);
        let is_mpi = f.name.starts_with("MPI_");
        if is_mpi && !is_predefined_callback {
            out.push_str(&pmpi_twin(chapter, f));
        }
        if f.fortran_opt_out || is_predefined_callback {
            continue;
        }
        let lower = format!("{}_", f.name.to_lowercase());
        if fortran.names.contains(&lower) {
            continue;
        }
        let callee = if is_mpi { format!("P{}", f.name) } else { f.name.clone() };
        if let Some(text) = fortran_binding(f, &callee) {
            out.push_str(&text);
        }
    }
    out
}

fn pmpi_twin(chapter: &Chapter, f: &CFn) -> String {
    let abi = f.item.sig.abi.as_ref().and_then(|a| a.name.as_ref()).map(|n| n.value()).unwrap_or_else(|| "C".into());
    let unsafety = if f.item.sig.unsafety.is_some() { "unsafe " } else { "" };
    let other_attrs: String = f
        .item
        .attrs
        .iter()
        .filter(|a| !is_doc(a) && !is_no_mangle(std::slice::from_ref(a)))
        .map(|a| format!("{}\n", a.to_token_stream()))
        .collect();
    let mut out = format!(
        "/// Profiling entry point: [`{0}`] under the name `P{0}`, with its own copy of the body.\n\
         ///\n/// # Safety\n/// As for [`{0}`].\n{other_attrs}#[allow(non_snake_case)]\n#[unsafe(no_mangle)]\npub {unsafety}extern \"{abi}\" ",
        f.name
    );
    match find_fn_text(&chapter.src, &chapter.code, &f.name) {
        // The source text keeps the body's `// SAFETY:` comments.
        Some(text) => out.push_str(&text.replacen(&f.name, &format!("P{}", f.name), 1)),
        None => {
            let mut item = f.item.clone();
            item.sig.ident = syn::Ident::new(&format!("P{}", f.name), item.sig.ident.span());
            let _ = write!(out, "fn {} {}", item.sig.to_token_stream().to_string().split_once(" fn ").map_or("", |x| x.1), item.block.to_token_stream());
        }
    }
    out.push_str("\n\n");
    out
}

/// How one C parameter travels from a Fortran caller, who passes everything by reference.
enum FArg {
    /// A scalar the Fortran caller passes by reference; the C function takes the value.
    Value { name: String, ty: String },
    /// A choice buffer: Fortran's MPI_BOTTOM and MPI_IN_PLACE become C's.
    Buffer { name: String, ty: String },
    /// `MPI_Status *` out: Fortran's MPI_STATUS(ES)_IGNORE becomes C's.
    Status { name: String, ty: String, many: bool },
    /// `int *array_of_errcodes`: Fortran's MPI_ERRCODES_IGNORE becomes C's.
    Errcodes { name: String, ty: String },
    /// Same representation on both sides.
    Pass { name: String, ty: String },
}

enum FRet {
    Ierror,
    Double,
    Unit,
}

const SCALAR_TYPES: &[&str] = &[
    "c_int",
    "i32",
    "MPI_Fint",
    "MPI_Comm",
    "MPI_Datatype",
    "MPI_Group",
    "MPI_Request",
    "MPI_Op",
    "MPI_Errhandler",
    "MPI_Info",
    "MPI_Win",
    "MPI_Aint",
    "MPI_Offset",
    "MPI_Count",
];

fn fortran_binding(f: &CFn, callee: &str) -> Option<String> {
    let sig = &f.item.sig;
    if sig.variadic.is_some() || !sig.generics.params.is_empty() {
        return None;
    }
    let ret = match &sig.output {
        syn::ReturnType::Default => FRet::Unit,
        syn::ReturnType::Type(_, ty) => match last_ident(ty)?.as_str() {
            "c_int" | "i32" => FRet::Ierror,
            "f64" | "c_double" => FRet::Double,
            _ => return None,
        },
    };
    let mut args = Vec::new();
    for input in &sig.inputs {
        let syn::FnArg::Typed(pt) = input else { return None };
        let syn::Pat::Ident(pi) = &*pt.pat else { return None };
        let name = pi.ident.to_string();
        if name == "ierror" || name == "mpi_rc" {
            return None;
        }
        let ty = pt.ty.to_token_stream().to_string();
        let arg = match &*pt.ty {
            syn::Type::Path(_) => {
                if !SCALAR_TYPES.contains(&last_ident(&pt.ty)?.as_str()) {
                    return None;
                }
                FArg::Value { name, ty }
            }
            syn::Type::Ptr(p) => {
                let pointee = match &*p.elem {
                    syn::Type::Path(_) => last_ident(&p.elem)?,
                    // `int ranges[][3]` (MPI_Group_range_incl): the same INTEGER array.
                    syn::Type::Array(a) if SCALAR_TYPES.contains(&last_ident(&a.elem)?.as_str()) => {
                        args.push(FArg::Pass { name, ty });
                        continue;
                    }
                    _ => return None,
                };
                match pointee.as_str() {
                    "c_void" if name.contains("buf") => FArg::Buffer { name, ty },
                    "MPI_Status" if p.mutability.is_some() => {
                        let many = name.contains("statuses");
                        FArg::Status { name, ty, many }
                    }
                    "MPI_Status" => FArg::Pass { name, ty },
                    "c_int" | "i32" if p.mutability.is_some() && name.contains("errcodes") => {
                        FArg::Errcodes { name, ty }
                    }
                    t if SCALAR_TYPES.contains(&t) => FArg::Pass { name, ty },
                    _ => return None,
                }
            }
            _ => return None,
        };
        args.push(arg);
    }

    let lower = f.name.to_lowercase();
    let upper = f.name.to_uppercase();
    let mut params: Vec<String> = args
        .iter()
        .map(|a| match a {
            FArg::Value { name, ty } => format!("{name}: *const {ty}"),
            FArg::Buffer { name, ty }
            | FArg::Status { name, ty, .. }
            | FArg::Errcodes { name, ty }
            | FArg::Pass { name, ty } => format!("{name}: {ty}"),
        })
        .collect();
    if let FRet::Ierror = ret {
        params.push("ierror: *mut core::ffi::c_int".into());
    }
    let params = params.join(", ");
    let ret_ty = if let FRet::Double = ret { " -> f64" } else { "" };

    let mut body = String::new();
    for a in &args {
        if let FArg::Value { name, .. } = a {
            let _ = writeln!(
                body,
                "    // SAFETY: Fortran passes every argument by reference to a live variable.\n    let {name} = unsafe {{ *{name} }};"
            );
        }
    }
    let call_args: Vec<String> = args
        .iter()
        .map(|a| match a {
            FArg::Value { name, .. } | FArg::Pass { name, .. } => name.clone(),
            FArg::Buffer { name, .. } => format!("crate::abi::fortran::buf_in({name})"),
            FArg::Status { name, many: false, .. } => format!("crate::abi::fortran::status_out({name})"),
            FArg::Status { name, many: true, .. } => format!("crate::abi::fortran::statuses_out({name})"),
            FArg::Errcodes { name, .. } => format!("crate::abi::fortran::errcodes_out({name})"),
        })
        .collect();
    let call = format!("{callee}({})", call_args.join(", "));
    let safety_call = format!(
        "    // SAFETY: the pointers are the Fortran caller's arguments, which {} requires valid.\n",
        f.name
    );
    match ret {
        FRet::Ierror => {
            let _ = write!(
                body,
                "{safety_call}    let mpi_rc = unsafe {{ {call} }};\n    // SAFETY: IERROR is an INTEGER passed by reference.\n    unsafe {{ *ierror = mpi_rc }};\n"
            );
        }
        FRet::Double => {
            let _ = writeln!(body, "{safety_call}    unsafe {{ {call} }}");
        }
        FRet::Unit => {
            let _ = writeln!(body, "{safety_call}    unsafe {{ {call} }};");
        }
    }

    let names: Vec<&str> = args
        .iter()
        .map(|a| match a {
            FArg::Value { name, .. }
            | FArg::Buffer { name, .. }
            | FArg::Status { name, .. }
            | FArg::Errcodes { name, .. }
            | FArg::Pass { name, .. } => name.as_str(),
        })
        .chain(matches!(ret, FRet::Ierror).then_some("ierror"))
        .collect();
    let forward = names.join(", ");
    let mut out = format!(
        "/// Fortran 77 `{upper}`, for [`{name}`], spelled as gfortran links it; `{lower}__`, `{lower}` and\n\
         /// `{upper}` are the other compilers' spellings.\n///\n/// # Safety\n/// Called from Fortran, which passes every argument by reference.\n\
         #[unsafe(no_mangle)]\npub unsafe extern \"C\" fn {lower}_({params}){ret_ty} {{\n{body}}}\n\n",
        name = f.name
    );
    for alias in [format!("{lower}__"), lower.clone(), upper.clone()] {
        let _ = write!(
            out,
            "/// Another spelling of [`{lower}_`].\n///\n/// # Safety\n/// As for [`{lower}_`].\n\
             #[allow(non_snake_case)]\n#[unsafe(no_mangle)]\npub unsafe extern \"C\" fn {alias}({params}){ret_ty} {{\n    \
             // SAFETY: the same arguments, passed on.\n    unsafe {{ {lower}_({forward}) }}\n}}\n\n"
        );
    }
    Some(out)
}

// =============================================================================================
// Hand-written Fortran bindings: their names (so nothing is generated twice) and their aliases

struct FortranManual {
    /// Every `#[no_mangle]` function name under src/abi/fortran.
    names: BTreeSet<String>,
    /// Per file: the `mpi_x_` functions, with their signatures.
    files: BTreeMap<String, Vec<syn::ItemFn>>,
}

impl FortranManual {
    fn load(dir: &Path) -> Self {
        let mut names = BTreeSet::new();
        let mut files = BTreeMap::new();
        let Ok(entries) = fs::read_dir(dir) else {
            return Self { names, files };
        };
        let mut paths: Vec<PathBuf> = entries
            .map(|e| e.expect("read src/abi/fortran entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "rs"))
            .collect();
        paths.sort();
        for path in paths {
            let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
            let file = syn::parse_file(&read(&path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let mut fns = Vec::new();
            for item in file.items {
                if let syn::Item::Fn(f) = item
                    && is_no_mangle(&f.attrs)
                {
                    let name = f.sig.ident.to_string();
                    names.insert(name.clone());
                    if name.ends_with('_') && !name.ends_with("__") && name == name.to_lowercase() {
                        fns.push(f);
                    }
                }
            }
            files.insert(stem, fns);
        }
        Self { names, files }
    }
}

/// The `mpi_x__`, `mpi_x` and `MPI_X` spellings of each hand-written `mpi_x_`. The upper-case
/// one is left out when C already has that name (`MPI_NULL_COPY_FN` is both).
fn fortran_aliases(fns: &[syn::ItemFn], c_names: &BTreeSet<String>) -> String {
    let mut out = String::from("// Generated by build.rs: the other spellings of the hand-written Fortran bindings.\n\n");
    for f in fns {
        let name = f.sig.ident.to_string();
        let base = name.trim_end_matches('_');
        let params: Vec<String> = f.sig.inputs.iter().map(|i| i.to_token_stream().to_string()).collect();
        let forward: Vec<String> = f
            .sig
            .inputs
            .iter()
            .filter_map(|i| match i {
                syn::FnArg::Typed(pt) => match &*pt.pat {
                    syn::Pat::Ident(pi) => Some(pi.ident.to_string()),
                    _ => None,
                },
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        assert_eq!(forward.len(), params.len(), "{name}: parameters must be plain names");
        let output = f.sig.output.to_token_stream().to_string();
        let upper = base.to_uppercase();
        let mut aliases = vec![format!("{base}__"), base.to_string()];
        if !c_names.contains(&upper) {
            aliases.push(upper);
        }
        for alias in aliases {
            let _ = write!(
                out,
                "/// Another spelling of [`{name}`].\n///\n/// # Safety\n/// As for [`{name}`].\n\
                 #[allow(non_snake_case)]\n#[unsafe(no_mangle)]\npub unsafe extern \"C\" fn {alias}({}) {output} {{\n    \
                 // SAFETY: the same arguments, passed on.\n    unsafe {{ {name}({}) }}\n}}\n\n",
                params.join(", "),
                forward.join(", ")
            );
        }
    }
    out
}

// =============================================================================================
// Constants

struct Const {
    name: String,
    /// The typedef name (`MPI_Comm`) or `c_int`.
    ty: String,
    value: i64,
    /// The literal as written (keeps hex).
    literal: String,
    doc: Vec<String>,
}

fn parse_consts(path: &Path) -> Vec<Const> {
    let file = syn::parse_file(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for item in file.items {
        let syn::Item::Const(c) = item else { continue };
        let name = c.ident.to_string();
        let ty = last_ident(&c.ty).unwrap_or_else(|| panic!("consts.rs: {name}: unsupported type"));
        let (neg, lit) = match &*c.expr {
            syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => (false, i),
            syn::Expr::Unary(syn::ExprUnary { op: syn::UnOp::Neg(_), expr, .. }) => match &**expr {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Int(i), .. }) => (true, i),
                _ => panic!("consts.rs: {name}: the value must be an integer literal"),
            },
            _ => panic!("consts.rs: {name}: the value must be an integer literal"),
        };
        let magnitude: i64 = lit.base10_parse().unwrap_or_else(|e| panic!("consts.rs: {name}: {e}"));
        let value = if neg { -magnitude } else { magnitude };
        assert!(
            i32::try_from(value).is_ok(),
            "consts.rs: {name} = {value} does not fit a C int"
        );
        assert!(seen.insert(name.to_uppercase()), "consts.rs: {name} twice (Fortran ignores case)");
        let literal = format!("{}{}", if neg { "-" } else { "" }, lit.token());
        out.push(Const { name, ty, value, literal, doc: doc_lines(&c.attrs) });
    }
    out
}

// =============================================================================================
// mpi.h

fn mpi_h(manifest_dir: &Path, abi_dir: &Path, consts: &[Const], types_src: &str, fortran: &FortranManual) -> String {
    let mut config = cbindgen::Config::from_file(manifest_dir.join("cbindgen.toml")).expect("read cbindgen.toml");
    // The Fortran entry points are exported too, but they are not C API.
    config.export.exclude.extend(fortran.names.iter().cloned());
    config.export.item_types = vec![cbindgen::ItemType::Functions];
    config.after_includes = Some(format!(
        "\n#ifdef __cplusplus\nextern \"C\" {{\n#endif\n\n{}\n{MPI_H_POINTER_CONSTANTS}\n{}",
        c_types(types_src),
        c_constants(consts)
    ));

    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(abi_dir.join("mod.rs"))
        .generate()
        .expect("cbindgen");
    let mut raw = Vec::new();
    bindings.write(&mut raw);
    // `Option<MPI_User_function>` is a nullable function pointer; the typedefs are printed
    // by hand, so cbindgen does not know to drop the Option.
    let text = strip_option(&String::from_utf8(raw).expect("cbindgen output is UTF-8"));

    let protos = prototypes(&text);
    let declared: BTreeSet<&str> = protos.iter().map(|(name, _)| name.as_str()).collect();
    let mut trailer = String::from("/* Profiling interface: every MPI_ function under the name PMPI_. */\n");
    for (name, line) in &protos {
        if name.starts_with("MPI_") && !is_all_caps(name) {
            let at = line.find(&format!("{name}(")).expect("prototype name");
            let _ = writeln!(trailer, "{}P{}", &line[..at], &line[at..]);
        }
    }
    trailer.push_str("\n/* Predefined attribute callbacks. */\n");
    for (name, decl) in MPI_H_CALLBACKS {
        if !declared.contains(name) {
            let _ = writeln!(trailer, "{decl}");
        }
    }
    trailer.push_str("\n/* Handle conversions: MPI_Fint and the C handles are the same integers. */\n");
    for (kind, ty) in MPI_H_CONVERSIONS {
        for prefix in ["MPI", "PMPI"] {
            let f2c = format!("{prefix}_{kind}_f2c");
            let c2f = format!("{prefix}_{kind}_c2f");
            if !declared.contains(f2c.as_str()) {
                let _ = writeln!(trailer, "#define {f2c}(handle) (({ty})(handle))");
            }
            if !declared.contains(c2f.as_str()) {
                let _ = writeln!(trailer, "#define {c2f}(handle) ((MPI_Fint)(handle))");
            }
        }
    }
    trailer.push_str("\n#ifdef __cplusplus\n}\n#endif\n\n");
    // Inside the include guard, whose #endif cbindgen writes last.
    let at = text.rfind("#endif").expect("include guard");
    format!("{}{trailer}{}", &text[..at], &text[at..])
}

fn strip_option(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("Option<") {
        out.push_str(&rest[..at]);
        let inner = &rest[at + "Option<".len()..];
        let end = inner.find('>').expect("Option<...>");
        out.push_str(&inner[..end]);
        rest = &inner[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `(name, line)` for every one-line function prototype cbindgen printed.
fn prototypes(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("typedef") && !l.starts_with(' ') && l.ends_with(");"))
        .filter_map(|l| {
            let open = l.find('(')?;
            let name: String = l[..open]
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            (!name.is_empty()).then(|| (name, l.to_string()))
        })
        .collect()
}

fn c_constants(consts: &[Const]) -> String {
    let mut out = String::new();
    for c in consts {
        if let Some(first) = c.doc.first() {
            let _ = writeln!(out, "/* {} */", first.trim().replace("*/", "* /"));
        }
        let value = if c.ty == "c_int" {
            if c.value < 0 { format!("({})", c.literal) } else { c.literal.clone() }
        } else {
            format!("(({}){:#010x})", c.ty, c.value as i32 as u32)
        };
        let _ = writeln!(out, "#define {} {value}", c.name);
    }
    out
}

/// The typedefs of types.rs in MPICH's spelling.
fn c_types(types_src: &str) -> String {
    let file = syn::parse_file(types_src).expect("parse src/abi/types.rs");
    let mut out = String::new();
    for item in file.items {
        match item {
            syn::Item::Struct(s) => {
                let name = s.ident.to_string();
                let _ = writeln!(out, "typedef struct {name} {{");
                for field in &s.fields {
                    let fname = field.ident.as_ref().expect("named field").to_string();
                    let _ = writeln!(out, "    {};", c_decl(&field.ty, &fname));
                }
                let _ = writeln!(out, "}} {name};");
            }
            syn::Item::Type(t) => {
                let name = t.ident.to_string();
                if let Some((_, text)) = TYPE_OVERRIDES.iter().find(|(n, _)| *n == name) {
                    let _ = writeln!(out, "{text}");
                    continue;
                }
                match &*t.ty {
                    syn::Type::BareFn(f) => {
                        let ret = match &f.output {
                            syn::ReturnType::Default => "void".to_string(),
                            syn::ReturnType::Type(_, ty) => c_type(ty),
                        };
                        let mut args: Vec<String> = f
                            .inputs
                            .iter()
                            .map(|a| {
                                let n = a.name.as_ref().map(|(i, _)| i.to_string()).unwrap_or_default();
                                c_decl(&a.ty, &n)
                            })
                            .collect();
                        if VARIADIC_TYPEDEFS.contains(&name.as_str()) {
                            args.push("...".into());
                        }
                        let _ = writeln!(out, "typedef {ret} ({name})({});", args.join(", "));
                    }
                    ty => {
                        let _ = writeln!(out, "typedef {};", c_decl(ty, &name));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn c_decl(ty: &syn::Type, name: &str) -> String {
    let t = c_type(ty);
    if t.ends_with('*') { format!("{t}{name}") } else { format!("{t} {name}") }
}

fn c_type(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Ptr(p) => {
            let inner = c_type(&p.elem);
            if p.mutability.is_some() { format!("{inner} *") } else { format!("const {inner} *") }
        }
        syn::Type::Path(_) => match last_ident(ty).as_deref() {
            Some("c_int" | "i32") => "int".into(),
            Some("c_uint" | "u32") => "unsigned int".into(),
            Some("c_long" | "isize") => "long".into(),
            Some("c_longlong" | "i64") => "long long".into(),
            Some("c_char") => "char".into(),
            Some("c_void") => "void".into(),
            Some("f64" | "c_double") => "double".into(),
            Some(other) => other.into(),
            None => panic!("types.rs: unsupported type {}", ty.to_token_stream()),
        },
        _ => panic!("types.rs: unsupported type {}", ty.to_token_stream()),
    }
}

// =============================================================================================
// mpif.h

fn mpif_h(consts: &[Const]) -> String {
    let mut out = String::from(
        "! mpif.h for ftmpi: a fault-tolerant MPI with MPICH's ABI.\n\
         !\n\
         ! Generated by build.rs from src/abi/consts.rs; do not edit.\n\
         ! Regenerate the checked-in copy with:\n\
         !     FTMPI_BLESS=1 cargo test --test header\n\
         ! Fixed form (columns 7-72), also valid free form.\n",
    );
    let mut params: Vec<(String, i64)> = FORTRAN_ONLY.iter().map(|(n, v)| (n.to_string(), *v)).collect();
    for c in consts {
        if C_ONLY.contains(&c.name.as_str()) {
            continue;
        }
        let mut value = c.value;
        if FORTRAN_MINUS_ONE.contains(&c.name.as_str()) {
            value -= 1;
        }
        if FORTRAN_PLUS_ONE.contains(&c.name.as_str()) {
            value += 1;
        }
        params.push((c.name.clone(), value));
    }
    let mut seen = BTreeSet::new();
    for (name, value) in &params {
        assert!(name.len() <= 63, "{name}: too long for a Fortran name");
        assert!(seen.insert(name.to_uppercase()), "mpif.h: {name} twice");
        fixed_form(&mut out, &format!("INTEGER {name}"));
        fixed_form(&mut out, &format!("PARAMETER ({name}={value})"));
    }
    for stmt in MPIF_TAIL {
        fixed_form(&mut out, stmt);
    }
    out
}

/// One statement in fixed form: text from column 7 to 72, continuation lines marked in
/// column 6. (Today every statement fits on one line, which also keeps the file valid free
/// form; MPICH's and Open MPI's mpif.h are written the same way.)
fn fixed_form(out: &mut String, stmt: &str) {
    let chars: Vec<char> = stmt.chars().collect();
    for (i, chunk) in chars.chunks(66).enumerate() {
        let text: String = chunk.iter().collect();
        let _ = writeln!(out, "{}{text}", if i == 0 { "      " } else { "     &" });
    }
}

// =============================================================================================
// Installing next to the library

fn install_into_profile_dir(out_dir: &Path, mpi_h: &str, mpif_h: &str) {
    // OUT_DIR is target/<profile>/build/ftmpi-<hash>/out.
    let Some(profile_dir) = out_dir.ancestors().nth(3) else { return };
    let include = profile_dir.join("include");
    if fs::create_dir_all(&include).is_ok() {
        write_if_changed(&include.join("mpi.h"), mpi_h);
        write_if_changed(&include.join("mpif.h"), mpif_h);
        let modes = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/ft-mpi-modes.h");
        if let Ok(text) = fs::read_to_string(&modes) {
            write_if_changed(&include.join("ft-mpi-modes.h"), &text);
        }
    }
    for dir in [profile_dir.to_path_buf(), profile_dir.join("deps")] {
        if fs::create_dir_all(&dir).is_err() {
            continue;
        }
        for link in ["libmpi.so.12", "libmpich.so.12", "libmpichfort.so.12"] {
            let path = dir.join(link);
            if fs::symlink_metadata(&path).is_err() {
                // Dangling until cargo links libmpi.so beside it.
                let _ = std::os::unix::fs::symlink("libmpi.so", &path);
            }
        }
    }
}

// =============================================================================================
// Helpers

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Leaves an unchanged file, and its mtime, alone.
fn write_if_changed(path: &Path, text: &str) {
    if fs::read_to_string(path).is_ok_and(|old| old == text) {
        return;
    }
    fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn is_doc(attr: &syn::Attribute) -> bool {
    attr.path().is_ident("doc")
}

fn doc_lines(attrs: &[syn::Attribute]) -> Vec<String> {
    attrs
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// `#[unsafe(no_mangle)]` (edition 2024) or `#[no_mangle]`.
fn is_no_mangle(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("no_mangle")
            || (a.path().is_ident("unsafe") && a.meta.to_token_stream().to_string().contains("no_mangle"))
    })
}

fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        syn::Type::Tuple(t) if t.elems.is_empty() => Some("()".into()),
        _ => None,
    }
}

/// `MPI_NULL_COPY_FN`, `MPI_DUP_FN`: predefined callbacks, not MPI functions.
fn is_all_caps(name: &str) -> bool {
    !name.chars().any(|c| c.is_ascii_lowercase())
}

/// The text of `fn NAME(...) ... { ... }` in `src`, from `fn` to the closing brace, found by a
/// small lexer that skips comments, strings and character literals.
fn find_fn_text(src: &str, code: &[bool], name: &str) -> Option<String> {
    let b = src.as_bytes();
    let mut from = 0;
    let start = loop {
        let at = from + src[from..].find("fn ")?;
        from = at + 3;
        if !code[at] || (at > 0 && (b[at - 1].is_ascii_alphanumeric() || b[at - 1] == b'_')) {
            continue;
        }
        let rest = src[at + 3..].trim_start();
        if let Some(after) = rest.strip_prefix(name)
            && after.trim_start().starts_with('(')
        {
            break at;
        }
    };
    // The body is the first `{` outside the parameter list (C signatures have no braces).
    let mut depth = 0i32;
    let mut i = start;
    while i < b.len() && !(code[i] && depth == 0 && b[i] == b'{') {
        if code[i] {
            match b[i] {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                _ => {}
            }
        }
        i += 1;
    }
    let mut braces = 0i32;
    for j in i..b.len() {
        if !code[j] {
            continue;
        }
        match b[j] {
            b'{' => braces += 1,
            b'}' => {
                braces -= 1;
                if braces == 0 {
                    return Some(src[start..=j].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// `true` for bytes of Rust source that are code, `false` inside comments, string and character
/// literals.
fn code_mask(b: &[u8]) -> Vec<bool> {
    let mut mask = vec![true; b.len()];
    let mut i = 0;
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    while i < b.len() {
        let start = i;
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if (b[i] == b'r' || (b[i..].starts_with(b"br") || b[i..].starts_with(b"cr")))
            && (i == 0 || !ident(b[i - 1]))
            && {
                let mut j = i + if b[i] == b'r' { 1 } else { 2 };
                while j < b.len() && b[j] == b'#' {
                    j += 1;
                }
                j < b.len() && b[j] == b'"'
            }
        {
            i += if b[i] == b'r' { 1 } else { 2 };
            let mut hashes = 0;
            while b[i] == b'#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            loop {
                if i >= b.len() {
                    break;
                }
                if b[i] == b'"' && b[i + 1..].iter().take(hashes).filter(|&&c| c == b'#').count() == hashes {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if b[i] == b'\'' {
            // A character literal, or a lifetime or label (which is code).
            if b.get(i + 1) == Some(&b'\\') {
                i += 2;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
                i += 1;
            } else {
                let ch_len = std::str::from_utf8(&b[i + 1..(i + 5).min(b.len())])
                    .ok()
                    .or_else(|| {
                        (1..=4).rev().find_map(|n| std::str::from_utf8(&b[i + 1..(i + 1 + n).min(b.len())]).ok())
                    })
                    .and_then(|s| s.chars().next())
                    .map_or(1, char::len_utf8);
                if b.get(i + 1 + ch_len) == Some(&b'\'') {
                    i += 2 + ch_len;
                } else {
                    i += 1;
                    continue;
                }
            }
        } else {
            i += 1;
            continue;
        }
        for m in &mut mask[start..i.min(b.len())] {
            *m = false;
        }
    }
    mask
}
