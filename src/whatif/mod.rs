//! What-if comparisons (`switchyard compare`): a scenario run over many seeds in several variants
//! (`--vary PATH=A,B,C`, or whole scenario files), headless, in parallel, without journals; one
//! row of figures per variant, with a Mann–Whitney test of each variant's makespans against the
//! first's. Follow the data: [`variants`] makes the scenarios, [`runs`] runs them and takes each
//! run's figures from its report, [`table`] sums them up and writes them out, [`stats`] is the
//! arithmetic.

pub mod live;
pub mod runs;
pub mod stats;
pub mod table;
pub mod variants;
