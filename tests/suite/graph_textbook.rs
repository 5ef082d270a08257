//! Textbook graphs with known answers, through the public API (parse ->
//! identify), each with its source. The human report of every graph is
//! pinned by an insta snapshot; the assertions pin the facts the sources state.

use causeway::graph::{
    AdjustStrategy, Admg, GraphError, GraphSpec, IdResult, Method, adjustment_set, identify, parse_graph,
};

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn graph(edges: &[&str], latent: &[&str]) -> Admg {
    let (edges, latent) = (strings(edges), strings(latent));
    parse_graph(&GraphSpec { edges: &edges, latent: &latent, observed: &[] }).expect("textbook graph parses")
}

fn sets(v: &[&[&str]]) -> Vec<Vec<String>> {
    v.iter().map(|s| strings(s)).collect()
}

/// The design's running example: age and severity confound drug and recovery.
#[test]
fn confounded_drug_trial() {
    let g =
        graph(&["age -> severity", "age -> drug", "severity -> drug", "severity -> recovery", "drug -> recovery"], &[]);
    let report = identify(&g, "drug", "recovery", &AdjustStrategy::Optimal).unwrap();
    assert_eq!(report.minimal_sets, sets(&[&["severity"]]));
    assert_eq!(report.optimal_set, Some(strings(&["severity"])));
    assert_eq!(report.method, Method::Adjustment { covariates: strings(&["severity"]), valid: true });
    insta::assert_snapshot!("graph_textbook_drug_trial", report.to_string());
}

/// Pearl, Glymour and Jewell (2016), *Causal Inference in Statistics: A
/// Primer*, study question 3.3.1: the sets satisfying the backdoor criterion
/// for X -> Y are Z with any one of A, B, C, D.
#[test]
fn primer_study_question_3_3_1() {
    let g = graph(
        &["B -> Z", "B -> A", "A -> X", "X -> W", "W -> Y", "C -> Z", "C -> D", "D -> Y", "Z -> X", "Z -> Y"],
        &[],
    );
    let report = identify(&g, "X", "Y", &AdjustStrategy::Minimal).unwrap();
    assert_eq!(report.minimal_sets, sets(&[&["A", "Z"], &["B", "Z"], &["C", "Z"], &["D", "Z"]]));
    assert_eq!(adjustment_set(&g, "X", "Y", &AdjustStrategy::Minimal).unwrap(), strings(&["A", "Z"]));
    // O-set: parents of the causal nodes {W, Y} outside the forbidden set.
    assert_eq!(report.optimal_set, Some(strings(&["D", "Z"])));
    insta::assert_snapshot!("graph_textbook_primer_3_3_1", report.to_string());
}

/// Pearl (2009), *Causality*, 2nd ed., section 3.3.2, figure 3.5: smoking ->
/// tar -> cancer with a latent genotype confounding smoking and cancer. No
/// adjustment set exists; the front-door set {tar} identifies the effect.
#[test]
fn front_door_smoking_tar_cancer() {
    let g = graph(&["genotype -> smoking", "genotype -> cancer", "smoking -> tar", "tar -> cancer"], &["genotype"]);
    let report = identify(&g, "smoking", "cancer", &AdjustStrategy::Optimal).unwrap();
    assert!(report.minimal_sets.is_empty() && report.optimal_set.is_none());
    assert_eq!(report.front_door, Some(strings(&["tar"])));
    assert_eq!(report.method, Method::FrontDoor { mediators: strings(&["tar"]) });
    let IdResult::Identified { formula, .. } = &report.id else { panic!("front-door graph is identifiable") };
    assert_eq!(formula, "Σ_{tar} P(tar | smoking) Σ_{smoking'} P(smoking') P(cancer | smoking', tar)");
    let err = adjustment_set(&g, "smoking", "cancer", &AdjustStrategy::Optimal).unwrap_err();
    insta::assert_snapshot!("graph_textbook_front_door_refusal", err.to_string());
    insta::assert_snapshot!("graph_textbook_front_door", report.to_string());
}

/// The napkin graph (Pearl 2009, section 4.3.3 and Shpitser and Pearl 2006):
/// neither adjustment nor front-door works, the ID algorithm identifies
/// P(y | do(x)) = Σ_w P(x, y | w, z) P(w) / Σ_w P(x | w, z) P(w), for any
/// value of z. The formula here averages that over P(z), which changes
/// nothing since the value does not depend on z.
#[test]
fn napkin() {
    let g = graph(&["w -> z", "z -> x", "x -> y", "u1 -> w", "u1 -> x", "u2 -> w", "u2 -> y"], &["u1", "u2"]);
    let report = identify(&g, "x", "y", &AdjustStrategy::Optimal).unwrap();
    assert!(report.minimal_sets.is_empty());
    assert_eq!(report.front_door, None);
    assert_eq!(report.method, Method::IdFormula);
    let IdResult::Identified { formula, .. } = &report.id else { panic!("napkin is identifiable") };
    assert_eq!(formula, "Σ_{z} P(z) [[Σ_{w} P(w) P(x | w, z) P(y | w, x, z)] / [Σ_{w} P(w) P(x | w, z)]]");
    insta::assert_snapshot!("graph_textbook_napkin", report.to_string());
}

/// The bow arc (Pearl 2009, section 3.5, first of the non-identifiable
/// models): x -> y with x <-> y; its hedge is F = {x, y}, F' = {y}
/// (Shpitser and Pearl 2006, section 4).
#[test]
fn bow_arc_is_not_identifiable() {
    let g = graph(&["x -> y", "x <-> y"], &[]);
    let report = identify(&g, "x", "y", &AdjustStrategy::Optimal).unwrap();
    assert_eq!(report.method, Method::NotIdentifiable);
    let IdResult::NotIdentifiable { hedge } = &report.id else { panic!("bow arc is not identifiable") };
    assert_eq!((hedge.f.clone(), hedge.f_prime.clone()), (strings(&["x", "y"]), strings(&["y"])));
    insta::assert_snapshot!("graph_textbook_bow_arc", report.to_string());
    let err = adjustment_set(&g, "x", "y", &AdjustStrategy::Minimal).unwrap_err();
    insta::assert_snapshot!("graph_textbook_bow_arc_refusal", err.to_string());
}

/// x -> z -> y with x <-> z and z <-> y: one of the non-identifiable models
/// of Pearl (2009), section 3.5; the hedge is the whole graph against {y, z}.
#[test]
fn confounded_mediator_chain_is_not_identifiable() {
    let g = graph(&["x -> z", "z -> y", "x <-> z", "z <-> y"], &[]);
    let report = identify(&g, "x", "y", &AdjustStrategy::Optimal).unwrap();
    assert_eq!(report.method, Method::NotIdentifiable);
    insta::assert_snapshot!("graph_textbook_fig_3_8_f", report.to_string());
}

/// M-bias (Greenland, Pearl and Robins 1999; Pearl 2009, section 11.3.3): m
/// is a pre-treatment collider of two latent causes. No adjustment is needed,
/// and adjusting for "everything" ({m}) opens a biasing path.
#[test]
fn m_bias_all_is_invalid() {
    let g = graph(&["a -> x", "a -> m", "b -> m", "b -> y", "x -> y"], &["a", "b"]);
    let report = identify(&g, "x", "y", &AdjustStrategy::All).unwrap();
    assert_eq!(report.minimal_sets, sets(&[&[]]));
    assert_eq!(report.optimal_set, Some(Vec::new()));
    assert_eq!(report.pre_treatment, strings(&["m"]));
    assert!(!report.pre_treatment_valid);
    assert_eq!(adjustment_set(&g, "x", "y", &AdjustStrategy::All).unwrap(), strings(&["m"]));
    assert_eq!(report.method, Method::Adjustment { covariates: strings(&["m"]), valid: false });
    insta::assert_snapshot!("graph_textbook_m_bias", report.to_string());
}

/// Butterfly bias (Ding and Miratrix 2015, JCI; Pearl 2009 section 11.3.3):
/// m is both a confounder and a collider of a and b, so adjusting for m alone
/// is not enough: the minimal sets are {a, m} and {b, m}.
#[test]
fn butterfly_bias() {
    let g = graph(&["a -> m", "b -> m", "a -> x", "b -> y", "m -> x", "m -> y", "x -> y"], &[]);
    let report = identify(&g, "x", "y", &AdjustStrategy::Optimal).unwrap();
    assert_eq!(report.minimal_sets, sets(&[&["a", "m"], &["b", "m"]]));
    assert_eq!(report.optimal_set, Some(strings(&["b", "m"])));
    insta::assert_snapshot!("graph_textbook_butterfly", report.to_string());
}

/// The report serializes for `--format json`.
#[test]
fn json_report() {
    let g = graph(&["x -> m", "m -> y", "x <-> y"], &[]);
    let report = identify(&g, "x", "y", &AdjustStrategy::Optimal).unwrap();
    let json = serde_json::to_string_pretty(&report).unwrap();
    insta::assert_snapshot!("graph_textbook_front_door_json", json);
}

/// Parse and lookup errors name the problem, point into the edge and suggest.
#[test]
fn error_messages() {
    let parse = |edges: &[&str], observed: &[&str]| -> GraphError {
        let (e, o) = (strings(edges), strings(observed));
        parse_graph(&GraphSpec { edges: &e, latent: &[], observed: &o }).unwrap_err()
    };
    let messages = [
        parse(&["age -> drug", "drug => recovery"], &[]),
        parse(&["age -> severty"], &["age", "severity"]),
        parse(&["a -> b", "b -> c", "c -> a"], &[]),
        parse(&["a -> a"], &[]),
        parse(&["a -> b", " a -> b"], &[]),
        parse(&["a <-> b extra"], &[]),
        parse(&["-> b"], &[]),
        {
            let g = graph(&["age -> drug", "drug -> recovery"], &[]);
            identify(&g, "drug", "recovry", &AdjustStrategy::All).unwrap_err()
        },
        {
            let g = graph(&["age -> drug", "drug -> y"], &[]);
            adjustment_set(&g, "drug", "y", &AdjustStrategy::Explicit(strings(&["drug"]))).unwrap_err()
        },
        AdjustStrategy::from_keyword("optmal").unwrap_err(),
    ];
    let text: Vec<String> = messages.iter().map(|e| format!("{:?} {}", e.location(), e)).collect();
    insta::assert_snapshot!("graph_textbook_errors", text.join("\n"));
}
