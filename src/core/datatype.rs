//! Datatypes as runs of contiguous bytes.
//!
//! A datatype is its type map reduced to what moving data needs: the runs of bytes one element
//! occupies (in packed order), its size, and its bounds. Transfers then copy whole runs, never
//! one element at a time.

use std::sync::Arc;

pub use crate::transport::userbuf::Layout;

/// A datatype known to the library.
#[derive(Debug, Clone)]
pub struct Datatype {
    pub layout: Arc<Layout>,
    /// Lower and upper bound (extent = ub - lb).
    pub lb: isize,
    pub ub: isize,
    pub committed: bool,
    pub name: String,
    /// A predefined type cannot be freed.
    pub predefined: bool,
    /// The predefined type (its MPI handle value) that every element of this type is made
    /// of, when there is exactly one: what reductions operate on. `None` for mixed types.
    pub basic: Option<i32>,
}

impl Datatype {
    /// A predefined type of `size` contiguous bytes.
    pub fn contiguous(size: usize, name: &str, handle: i32) -> Datatype {
        Datatype {
            layout: Arc::new(Layout::contiguous(size)),
            lb: 0,
            ub: size as isize,
            committed: true,
            name: name.to_string(),
            predefined: true,
            basic: Some(handle),
        }
    }

    /// A C pair type `struct { T value; int index; }` with `value` bytes of value aligned to
    /// `align`.
    pub fn pair(value: usize, align: usize, name: &str, handle: i32) -> Datatype {
        let int_at = value.next_multiple_of(4);
        let extent = (int_at + 4).next_multiple_of(align.max(4));
        let runs = if int_at == value { vec![(0, value + 4)] } else { vec![(0, value), (int_at as isize, 4)] };
        Datatype {
            layout: Arc::new(Layout { size: value + 4, extent: extent as isize, runs }),
            lb: 0,
            ub: extent as isize,
            committed: true,
            name: name.to_string(),
            predefined: true,
            basic: Some(handle),
        }
    }

    pub fn size(&self) -> usize {
        self.layout.size
    }

    pub fn extent(&self) -> isize {
        self.ub - self.lb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_layouts_match_c_structs() {
        let di = Datatype::pair(8, 8, "MPI_DOUBLE_INT", 0);
        assert_eq!((di.size(), di.extent()), (12, 16));
        let si = Datatype::pair(2, 2, "MPI_SHORT_INT", 0);
        assert_eq!((si.size(), si.extent()), (6, 8));
        assert_eq!(si.layout.runs, vec![(0, 2), (4, 4)]);
        let ldi = Datatype::pair(16, 16, "MPI_LONG_DOUBLE_INT", 0);
        assert_eq!((ldi.size(), ldi.extent()), (20, 32));
        let fi = Datatype::pair(4, 4, "MPI_FLOAT_INT", 0);
        assert_eq!((fi.size(), fi.extent()), (8, 8));
    }
}
