//! Answering queries: the encoder reads a unit's factual history one step at
//! a time, and at each query's step branches off a copy of its state to read
//! the step under the plan's first treatment (the encoder reads the current
//! treatment, so its answer, unlike CRN's representation, depends on it: CT's
//! one-step counterfactual trajectories). Longer plans continue in the
//! decoder, started from that branch's output through the memory adapter,
//! reading back its own predictions (CT's autoregressive test-time rollout).
//! The test unit's path past the query's step is never read.

use std::collections::BTreeMap;

use tch::Tensor;

use super::data::{encoder_input, encoder_width};
use super::net::Net;
use super::{UNITS_PER_PASS, to_vec};
use crate::data::panel::Query;
use crate::estimate::neural::crn::data::Prepared;

/// Queries answered per pass (bounds memory only: every row's numbers are its own).
const QUERIES_PER_PASS: usize = 65_536;

/// Every query's standardised prediction, in the queries' order.
pub(super) fn predict(encoder: &Net, decoder: Option<&Net>, prep: &Prepared, queries: &[Query]) -> Vec<f32> {
    let mut by_unit: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, q) in queries.iter().enumerate() {
        by_unit.entry(q.unit).or_default().push(i);
    }
    let units: Vec<usize> = by_unit.keys().copied().collect();
    let mut out = vec![0f32; queries.len()];
    tch::no_grad(|| {
        for chunk in units.chunks(UNITS_PER_PASS) {
            // Per step: (row in the chunk, query) pairs.
            let mut at: BTreeMap<usize, Vec<(usize, usize)>> = BTreeMap::new();
            for (row, u) in chunk.iter().enumerate() {
                for &i in &by_unit[u] {
                    at.entry(queries[i].step).or_default().push((row, i));
                }
            }
            let last = at.keys().last().copied().unwrap_or(0);
            let mut state = encoder.start(chunk.len(), None);
            let width = encoder_width(prep);
            for p in 0..=last {
                for piece in at.get(&p).map_or(&[][..], Vec::as_slice).chunks(QUERIES_PER_PASS) {
                    let answers = answer(encoder, decoder, prep, queries, chunk, &state, p, piece);
                    for (&(_, i), v) in piece.iter().zip(answers) {
                        out[i] = v;
                    }
                }
                if p < last {
                    let mut x = Vec::with_capacity(chunk.len() * width);
                    for &u in chunk {
                        if p < prep.panel.length[u] {
                            encoder_input(prep, u, p, prep.panel.treatment(u, p), &mut x);
                        } else {
                            // Past this unit's history: it has no query left.
                            x.resize(x.len() + width, 0.0);
                        }
                    }
                    let _ = encoder.advance(&host(&x, chunk.len(), width, encoder), &mut state);
                }
            }
        }
    });
    out
}

fn host(v: &[f32], n: usize, width: usize, net: &Net) -> Tensor {
    Tensor::from_slice(v).view([n as i64, width as i64]).to_device(net.vs.device())
}

/// The answers of `piece`'s queries, all at step `p`, from the encoder's
/// state after reading steps `0..p` of the chunk's units.
#[allow(clippy::too_many_arguments)]
fn answer(
    encoder: &Net,
    decoder: Option<&Net>,
    prep: &Prepared,
    queries: &[Query],
    chunk: &[usize],
    state: &[(Tensor, Tensor)],
    p: usize,
    piece: &[(usize, usize)],
) -> Vec<f32> {
    let m = piece.len();
    let rows: Vec<i64> = piece.iter().map(|&(row, _)| row as i64).collect();
    let idx = Tensor::from_slice(&rows).to_device(encoder.vs.device());
    let mut branch: Vec<(Tensor, Tensor)> =
        state.iter().map(|(h, c)| (h.index_select(0, &idx), c.index_select(0, &idx))).collect();
    let mut x = Vec::with_capacity(m * encoder_width(prep));
    for &(row, i) in piece {
        encoder_input(prep, chunk[row], p, &queries[i].plan[0], &mut x);
    }
    let r = encoder.advance(&host(&x, m, encoder_width(prep), encoder), &mut branch);
    let mut y = encoder.read(&r);
    let mut out = to_vec(&y);
    let longest = piece.iter().map(|&(_, i)| queries[i].plan.len()).max().unwrap_or(1);
    let Some(dec) = decoder.filter(|_| longest > 1) else {
        return out;
    };
    let (k, n_static) = (prep.panel.n_treatments, prep.panel.n_static);
    let mut rollout = dec.start(m, Some(&r));
    let none = vec![0.0; k];
    // Queries with shorter plans ride along (with no treatment past their end);
    // every row's numbers are its own.
    for step in 1..longest {
        let (mut a, mut statics) = (Vec::with_capacity(m * k), Vec::with_capacity(m * n_static));
        for &(row, i) in piece {
            let plan = &queries[i].plan;
            a.extend(plan.get(step).unwrap_or(&none).iter().map(|&v| v as f32));
            prep.push_statics(chunk[row], &mut statics);
        }
        let input = Tensor::cat(&[host(&a, m, k, dec), y.shallow_clone(), host(&statics, m, n_static, dec)], 1);
        y = dec.read(&dec.advance(&input, &mut rollout));
        let now = to_vec(&y);
        for (j, &(_, i)) in piece.iter().enumerate() {
            if queries[i].plan.len() == step + 1 {
                out[j] = now[j];
            }
        }
    }
    out
}

/// The decoder's input layout is `decoder_input`'s: treatment, outcome, statics.
#[cfg(test)]
#[test]
fn decoder_input_is_treatment_outcome_statics() {
    use super::data::decoder_input;
    use crate::data::panel::{Panel, PanelFold};
    let panel = Panel {
        units: 1,
        steps: 1,
        statics: vec![2.0],
        n_static: 1,
        covariates: vec![],
        n_covariates: 0,
        outcomes: vec![1.0, 3.0],
        treatments: vec![1.0, 0.0],
        n_treatments: 2,
        length: vec![1],
        fold: vec![PanelFold::Train],
    };
    let prep = Prepared::new("rmsn", &panel).unwrap();
    let mut v = Vec::new();
    decoder_input(&prep, 0, &[1.0, 0.0], 0.5, &mut v);
    // One training unit: its static standardises to 0.
    assert_eq!(v, [1.0, 0.0, 0.5, 0.0]);
}
